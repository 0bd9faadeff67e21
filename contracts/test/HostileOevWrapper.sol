// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

interface IHostileWrapperMToken {
    function underlying() external view returns (address);
    function balanceOf(address owner) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function liquidateBorrow(address borrower, uint256 repayAmount, address mTokenCollateral) external returns (uint256);
}

interface IHostileWrapperExecutor {
    function onMorphoLiquidate(uint256 repaidAssets, bytes calldata data) external;
}

/**
 * @title HostileOevWrapper
 * @notice TEST-ONLY stand-in for a Moonwell OEV wrapper that does not behave as documented, or that the owner allowlisted
 * by mistake: the executor's tests use it to show that a wrapper cannot take more than the plan's surplus, leave an
 * approval or mTokens behind, or call back into the executor. It is not a model of Moonwell's wrapper (that is
 * MoonwellOevWrapperDouble); each `Mode` is one way a wrapper can pay less or differently than promised.
 */
contract HostileOevWrapper {
    using SafeERC20 for IERC20;

    enum Mode {
        /// Takes the repayment and pays nothing.
        KeepEverything,
        /// Liquidates honestly but pays the caller the seized mTokens instead of redeeming them (an older wrapper shape).
        PaySeizedShares,
        /// Liquidates and keeps `shortBps` of the seized mTokens, paying the rest as mTokens.
        PayShort,
        /// Pulls only half the approved repayment, liquidates with it, pays the shares.
        PullHalf,
        /// Liquidates, pays the shares and also hands back `refund` debt tokens it was given beforehand.
        RefundDebt,
        /// Tries to deliver a Morpho liquidate callback to the executor while the executor waits for the wrapper.
        CallBack
    }

    Mode public mode;
    uint256 public shortBps;
    uint256 public refund;

    function configure(Mode newMode, uint256 newShortBps, uint256 newRefund) external {
        mode = newMode;
        shortBps = newShortBps;
        refund = newRefund;
    }

    function updatePriceEarlyAndLiquidate(
        address borrower,
        uint256 repayAmount,
        address mTokenCollateral,
        address mTokenLoan
    ) external {
        IERC20 loan = IERC20(IHostileWrapperMToken(mTokenLoan).underlying());
        if (mode == Mode.CallBack) {
            IHostileWrapperExecutor(msg.sender).onMorphoLiquidate(0, "");
            return;
        }
        uint256 pulled = mode == Mode.PullHalf ? repayAmount / 2 : repayAmount;
        loan.safeTransferFrom(msg.sender, address(this), pulled);
        if (mode == Mode.KeepEverything) return;

        uint256 sharesBefore = IHostileWrapperMToken(mTokenCollateral).balanceOf(address(this));
        loan.forceApprove(mTokenLoan, pulled);
        require(IHostileWrapperMToken(mTokenLoan).liquidateBorrow(borrower, pulled, mTokenCollateral) == 0, "liquidation failed");
        uint256 shares = IHostileWrapperMToken(mTokenCollateral).balanceOf(address(this)) - sharesBefore;
        if (mode == Mode.PayShort) shares -= (shares * shortBps) / 10_000;
        require(IHostileWrapperMToken(mTokenCollateral).transfer(msg.sender, shares), "share transfer failed");
        if (mode == Mode.RefundDebt) loan.safeTransfer(msg.sender, refund);
    }
}
