// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IChimeraExecutor} from "../interfaces/IChimeraExecutor.sol";
import {IMoonwellMorphoOevWrapper} from "../interfaces/IMoonwellMorphoOevWrapper.sol";
import {MarketParams} from "../interfaces/IMorphoBlue.sol";
import {BalanceLedger} from "./BalanceLedger.sol";
import {ExactApprovals} from "./ExactApprovals.sol";

/// @title MoonwellMorphoOev
/// @notice The executor's `MoonwellMorphoOev` plan kind: a Morpho Blue liquidation made through Moonwell's
///         ChainlinkOEVMorphoWrapper (IMoonwellMorphoOevWrapper), which unlocks the collateral feed's fresh round in
///         the same call and pays the liquidator its share of the seized collateral.
/// @dev The executor admits such a liquidation like a Morpho Blue one (the market id allowlisted on `Liquidation.market`)
///      plus the wrapper as an allowed target, and `requireLiquidatesOn` checks that the wrapper liquidates on that
///      Morpho instance, so the market allowlist is asked about the market the wrapper will actually touch. Everything
///      else is measured from balances: what left (the repayment net of the wrapper's refund) and what arrived (the
///      liquidator's share), so a wrapper paying less than documented yields a smaller `collateralSeized` and the sale's
///      `minAmountOut`, the balance guard and `minProfit` decide whether the plan stands.
library MoonwellMorphoOev {
    using ExactApprovals for IERC20;

    /// @notice The wrapper liquidates on another Morpho Blue instance than the plan's `market`, on which the market id
    ///         was checked.
    error OevWrapperMorphoMismatch(address wrapper, address wrapperMorpho, address planMorpho);

    /// @notice Reverts unless `wrapper` liquidates on `morpho`. Call only once `wrapper` is known to be allowlisted.
    function requireLiquidatesOn(address wrapper, address morpho) internal view {
        address wrapperMorpho = IMoonwellMorphoOevWrapper(wrapper).morphoBlue();
        if (wrapperMorpho != morpho) revert OevWrapperMorphoMismatch(wrapper, wrapperMorpho, morpho);
    }

    /// @notice Approves exactly `debtToCover` (the wrapper's `maxRepayAmount`) to the wrapper, calls
    ///         `updatePriceEarlyAndLiquidate` for `morpho.seizedAssets`, and clears whatever approval is left.
    /// @return debtRepaid The debt token that left the executor: the repayment net of the wrapper's refund (0 if the
    ///         wrapper handed back more than it took).
    /// @return collateralAfter The executor's collateral balance after the call.
    /// @return collateralSeized What the call added to it: the liquidator's share the wrapper paid.
    function liquidate(
        IChimeraExecutor.Liquidation calldata liquidation,
        MarketParams memory marketParams
    ) internal returns (uint256 debtRepaid, uint256 collateralAfter, uint256 collateralSeized) {
        IERC20 debt = IERC20(liquidation.debtToken);
        IERC20 collateral = IERC20(liquidation.collateralToken);
        address wrapper = liquidation.oevWrapper;
        uint256 maxRepayAmount = liquidation.debtToCover;
        uint256 debtBefore = BalanceLedger.held(address(debt));
        uint256 collateralBefore = BalanceLedger.held(address(collateral));

        debt.approveExact(wrapper, maxRepayAmount);
        IMoonwellMorphoOevWrapper(wrapper).updatePriceEarlyAndLiquidate(
            marketParams,
            liquidation.borrower,
            liquidation.morpho.seizedAssets,
            maxRepayAmount
        );
        uint256 debtAfter = BalanceLedger.held(address(debt));
        debtRepaid = debtBefore > debtAfter ? debtBefore - debtAfter : 0;
        // The documented wrapper pulls all of `maxRepayAmount` (spending the approval) and refunds the rest, so this
        // normally reads a zero allowance and writes nothing; a wrapper that pulled less is cleared here.
        debt.clear(wrapper);
        collateralAfter = BalanceLedger.held(address(collateral));
        collateralSeized = collateralAfter - collateralBefore;
    }
}
