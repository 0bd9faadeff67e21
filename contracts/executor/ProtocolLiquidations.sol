// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAaveV3Pool} from "../interfaces/IAaveV3Pool.sol";
import {IMorphoBlue, MarketParams} from "../interfaces/IMorphoBlue.sol";
import {ICompoundV2Market} from "../interfaces/ICompoundV2Market.sol";
import {IMoonwellOevWrapper} from "../interfaces/IMoonwellOevWrapper.sol";
import {BalanceLedger} from "../libraries/BalanceLedger.sol";
import {ExactApprovals} from "../libraries/ExactApprovals.sol";
import {ExecutionContext} from "../libraries/ExecutionContext.sol";
import {MoonwellMorphoOev} from "../libraries/MoonwellMorphoOev.sol";
import {ExecutorSwaps} from "./ExecutorSwaps.sol";

/// @title ProtocolLiquidations
/// @notice One `_liquidate<Kind>` per `ProtocolKind`: the protocol call, then the sale of what it seized. Each measures
///         what it repaid and seized from the executor's balances (never from allowances or what a protocol reports,
///         except Morpho's `liquidate`, whose return values are what it sent and pulled) for the `Liquidated` event.
///         Every address a liquidation names was checked and every token snapshotted at admission (ChimeraExecutor).
abstract contract ProtocolLiquidations is ExecutorSwaps {
    using ExactApprovals for IERC20;

    /// @dev `liquidationCall` with `receiveAToken = false`, then the swap. The pool may repay less than `debtToCover`
    ///      (close factor), so the unused approval is cleared; what it took is measured from the balance.
    function _liquidateAaveV3(
        Liquidation calldata liquidation,
        IERC20 collateral,
        IERC20 debt,
        bool fresh
    ) internal returns (uint256 debtRepaid, uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought) {
        address pool = liquidation.market;
        uint256 debtToCover = liquidation.debtToCover;
        uint256 debtBefore = BalanceLedger.held(address(debt));
        uint256 collateralBefore = _collateralBefore(collateral, fresh);

        debt.approveExact(pool, debtToCover);
        IAaveV3Pool(pool).liquidationCall(address(collateral), address(debt), liquidation.borrower, debtToCover, false);
        debtRepaid = debtBefore - BalanceLedger.held(address(debt));
        _clearUnlessSpent(debt, pool, debtToCover, debtRepaid);

        uint256 collateralAfter = BalanceLedger.held(address(collateral));
        uint256 received = BalanceLedger.receivedSince(address(collateral), collateralAfter);
        collateralSeized = _seized(fresh, received, collateralBefore, collateralAfter);
        (collateralSold, debtTokenBought) = _swap(liquidation.swap, address(collateral), address(debt), received);
    }

    /// @dev The collateral balance before a protocol call: read, unless the liquidation runs fresh (`_liquidateAll`),
    ///      where what it seized is what the plan has received above the entry-point snapshot and nothing is read.
    function _collateralBefore(IERC20 collateral, bool fresh) private view returns (uint256) {
        return fresh ? 0 : BalanceLedger.held(address(collateral));
    }

    /// @dev What a liquidation seized: fresh, what the plan has `received` above the entry-point snapshot; otherwise the
    ///      balance's growth over the protocol call.
    function _seized(bool fresh, uint256 received, uint256 before, uint256 afterCall) private pure returns (uint256) {
        return fresh ? received : afterCall - before;
    }

    /// @dev `liquidate` with a non-empty callback payload: Morpho sends the collateral, calls `onMorphoLiquidate`
    ///      (which sells it and approves the repayment), then pulls the repayment.
    function _liquidateMorphoBlue(Liquidation calldata liquidation)
        internal
        returns (uint256 debtRepaid, uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought)
    {
        // Zero the swap record first so a result can only come from this liquidation's own callback.
        ExecutionContext.recordSwap(0, 0);
        ExecutionContext.enter(ExecutionContext.Phase.AwaitingMorphoLiquidateCallback, liquidation.market);
        (collateralSeized, debtRepaid) = IMorphoBlue(liquidation.market).liquidate(
            _morphoMarketParams(liquidation),
            liquidation.borrower,
            liquidation.morpho.seizedAssets,
            liquidation.morpho.repaidShares,
            abi.encode(liquidation)
        );
        // The callback already moved the phase on; set it again so nothing depends on Morpho having called back.
        ExecutionContext.enter(ExecutionContext.Phase.Liquidating, address(0));
        (collateralSold, debtTokenBought) = ExecutionContext.recordedSwap();
    }

    /// @dev `liquidateBorrow` on the debt market, `redeem` of the collateral market shares this plan received, then the
    ///      swap. Both calls report failure as a return code, which is turned into a revert.
    function _liquidateCompoundV2(
        Liquidation calldata liquidation,
        address collateral,
        IERC20 debt,
        bool fresh
    ) internal returns (uint256 debtRepaid, uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought) {
        address debtMarket = liquidation.market;
        uint256 repayAmount = liquidation.debtToCover;
        uint256 debtBefore = BalanceLedger.held(address(debt));
        uint256 collateralBefore = _collateralBefore(IERC20(collateral), fresh);

        debt.approveExact(debtMarket, repayAmount);
        uint256 errorCode = ICompoundV2Market(debtMarket).liquidateBorrow(
            liquidation.borrower,
            repayAmount,
            liquidation.collateralMarket
        );
        if (errorCode != 0) revert CompoundV2CallFailed(debtMarket, errorCode);
        debtRepaid = debtBefore - BalanceLedger.held(address(debt));
        _clearUnlessSpent(debt, debtMarket, repayAmount, debtRepaid);
        (collateralSeized, collateralSold, debtTokenBought) = _redeemAndSell(
            liquidation,
            collateral,
            address(debt),
            collateralBefore,
            fresh
        );
    }

    /// @dev `updatePriceEarlyAndLiquidate` on the OEV wrapper of the collateral's feed (IMoonwellOevWrapper): it pulls
    ///      `debtToCover` of the debt token (approved exactly, cleared if it took less), unlocks the fresh price,
    ///      liquidates on the debt market and pays this executor the liquidator's share of the seized collateral.
    ///      Deployed wrappers pay that share as the underlying; any collateral-market shares a wrapper pays instead are
    ///      redeemed. What it took and paid is measured from balances only, so a wrapper paying less than its documented
    ///      share yields a smaller `collateralSeized`, and the sale's `minAmountOut`, the balance guard and `minProfit`
    ///      decide whether the plan stands.
    function _liquidateMoonwellOev(
        Liquidation calldata liquidation,
        address collateral,
        IERC20 debt,
        bool fresh
    ) internal returns (uint256 debtRepaid, uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought) {
        address wrapper = liquidation.oevWrapper;
        uint256 repayAmount = liquidation.debtToCover;
        uint256 debtBefore = BalanceLedger.held(address(debt));
        uint256 collateralBefore = _collateralBefore(IERC20(collateral), fresh);

        debt.approveExact(wrapper, repayAmount);
        IMoonwellOevWrapper(wrapper).updatePriceEarlyAndLiquidate(
            liquidation.borrower,
            repayAmount,
            liquidation.collateralMarket,
            liquidation.market
        );
        uint256 debtAfter = BalanceLedger.held(address(debt));
        // A wrapper that hands debt tokens back reports as having repaid nothing rather than reverting the event.
        debtRepaid = debtBefore > debtAfter ? debtBefore - debtAfter : 0;
        _clearUnlessSpent(debt, wrapper, repayAmount, debtRepaid);
        (collateralSeized, collateralSold, debtTokenBought) = _redeemAndSell(
            liquidation,
            collateral,
            address(debt),
            collateralBefore,
            fresh
        );
    }

    /// @dev `updatePriceEarlyAndLiquidate` on Moonwell's Morpho-market OEV wrapper (MoonwellMorphoOev), then the swap of
    ///      the liquidator's share it paid.
    function _liquidateMoonwellMorphoOev(Liquidation calldata liquidation)
        internal
        returns (uint256 debtRepaid, uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought)
    {
        address collateral = liquidation.collateralToken;
        uint256 collateralAfter;
        (debtRepaid, collateralAfter, collateralSeized) = MoonwellMorphoOev.liquidate(
            liquidation,
            _morphoMarketParams(liquidation)
        );
        (collateralSold, debtTokenBought) = _swap(
            liquidation.swap,
            collateral,
            liquidation.debtToken,
            BalanceLedger.receivedSince(collateral, collateralAfter)
        );
    }

    /// @dev Redeems the collateral-market shares this plan has received (if any), then sells the collateral it has
    ///      received; `collateralSeized` is the collateral balance's growth over `collateralBefore` (fresh: over the
    ///      entry-point snapshot).
    function _redeemAndSell(
        Liquidation calldata liquidation,
        address collateral,
        address debt,
        uint256 collateralBefore,
        bool fresh
    ) private returns (uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought) {
        ICompoundV2Market collateralMarket = ICompoundV2Market(liquidation.collateralMarket);
        uint256 shares = BalanceLedger.receivedSince(address(collateralMarket), BalanceLedger.held(address(collateralMarket)));
        if (shares != 0) {
            uint256 errorCode = collateralMarket.redeem(shares);
            if (errorCode != 0) revert CompoundV2CallFailed(address(collateralMarket), errorCode);
        }
        uint256 collateralAfter = BalanceLedger.held(collateral);
        uint256 received = BalanceLedger.receivedSince(collateral, collateralAfter);
        collateralSeized = _seized(fresh, received, collateralBefore, collateralAfter);
        (collateralSold, debtTokenBought) = _swap(liquidation.swap, collateral, debt, received);
    }

    /// @dev A protocol that pulled exactly the amount approved left a zero allowance (ERC-20's transferFrom spends
    ///      it). Otherwise it pulled less, which is also the case of an infinite approval (nobody holds 2^256 - 1
    ///      tokens, and WETH9 never decrements one): the allowance is read back and cleared.
    function _clearUnlessSpent(IERC20 token, address spender, uint256 approved, uint256 pulled) private {
        if (pulled != approved) token.clear(spender);
    }

    function _morphoMarketParams(Liquidation calldata liquidation) internal pure returns (MarketParams memory) {
        return
            MarketParams({
                loanToken: liquidation.debtToken,
                collateralToken: liquidation.collateralToken,
                oracle: liquidation.morpho.oracle,
                irm: liquidation.morpho.irm,
                lltv: liquidation.morpho.lltv
            });
    }
}
