// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IMorphoBlue, MarketParams} from "../interfaces/IMorphoBlue.sol";

interface IHostileMorphoWrapperExecutor {
    function onMorphoLiquidate(uint256 repaidAssets, bytes calldata data) external;
}

/**
 * @title HostileMorphoOevWrapper
 * @notice TEST-ONLY stand-in for a Moonwell Morpho-market OEV wrapper that does not behave as documented, or that the
 * owner allowlisted by mistake: the executor's tests use it to show that such a wrapper cannot take more than the plan's
 * surplus, leave an approval behind, misreport the repayment, call back into the executor, or point the executor's
 * market allowlist at another Morpho instance. It is not a model of Moonwell's wrapper (that is
 * MoonwellOevMorphoWrapperDouble); each `Mode` is one way a wrapper can pay less or differently than promised. It unlocks
 * no price: it liquidates at the price the market shows.
 */
contract HostileMorphoOevWrapper {
    using SafeERC20 for IERC20;

    enum Mode {
        /// Liquidates on Morpho, refunds what Morpho did not take, pays the liquidator all but `shortBps` of the seizure.
        PayShort,
        /// Takes the whole `maxRepayAmount` and pays nothing.
        KeepEverything,
        /// Does nothing at all: pulls nothing, pays nothing (its approval is left unspent).
        PullNothing,
        /// Liquidates honestly (the whole seizure to the caller) and hands back `refund` more debt tokens than it took.
        RefundMore,
        /// Tries to deliver a Morpho liquidate callback to the executor while the executor waits for the wrapper.
        CallBack
    }

    /// @notice What `morphoBlue()` answers: the executor checks it against the plan's Morpho instance.
    address public morphoBlue;
    Mode public mode;
    uint256 public shortBps;
    uint256 public refund;

    constructor(address morpho) {
        morphoBlue = morpho;
    }

    function configure(Mode newMode, uint256 newShortBps, uint256 newRefund) external {
        mode = newMode;
        shortBps = newShortBps;
        refund = newRefund;
    }

    function setMorphoBlue(address morpho) external {
        morphoBlue = morpho;
    }

    function updatePriceEarlyAndLiquidate(
        MarketParams memory marketParams,
        address borrower,
        uint256 seizedAssets,
        uint256 maxRepayAmount
    ) external {
        if (mode == Mode.PullNothing) return;
        if (mode == Mode.CallBack) {
            IHostileMorphoWrapperExecutor(msg.sender).onMorphoLiquidate(0, "");
            return;
        }
        IERC20 loan = IERC20(marketParams.loanToken);
        loan.safeTransferFrom(msg.sender, address(this), maxRepayAmount);
        if (mode == Mode.KeepEverything) return;

        loan.forceApprove(morphoBlue, maxRepayAmount);
        (uint256 seized, uint256 repaid) = IMorphoBlue(morphoBlue).liquidate(marketParams, borrower, seizedAssets, 0, "");
        loan.forceApprove(morphoBlue, 0);
        uint256 handBack = maxRepayAmount - repaid + (mode == Mode.RefundMore ? refund : 0);
        loan.safeTransfer(msg.sender, handBack);
        uint256 paid = mode == Mode.PayShort ? seized - (seized * shortBps) / 10_000 : seized;
        IERC20(marketParams.collateralToken).safeTransfer(msg.sender, paid);
    }
}
