// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IChimeraExecutor} from "./interfaces/IChimeraExecutor.sol";
import {IAaveV3Pool} from "./interfaces/IAaveV3Pool.sol";
import {IBalancerVault} from "./interfaces/IBalancerVault.sol";
import {IMorphoBlue, MarketParams} from "./interfaces/IMorphoBlue.sol";
import {ICompoundV2Market} from "./interfaces/ICompoundV2Market.sol";
import {IUniswapV3Pool} from "./interfaces/IUniswapV3Pool.sol";
import {ISwapRouter02} from "./interfaces/ISwapRouter02.sol";
import {ISlipstreamSwapRouter} from "./interfaces/ISlipstreamSwapRouter.sol";
import {IAerodromeRouter, AerodromeRoute} from "./interfaces/IAerodromeRouter.sol";
import {ExecutionContext} from "./libraries/ExecutionContext.sol";
import {ExactApprovals} from "./libraries/ExactApprovals.sol";
import {SwapRoutes} from "./libraries/SwapRoutes.sol";

/// @title ChimeraExecutor
/// @notice Flash-loan-funded liquidations on Aave V3 (and forks), Morpho Blue and Compound-v2-family markets
///         (Moonwell), selling seized collateral on Uniswap V3 or Aerodrome, with the profit enforced on chain and
///         paid to the treasury in the same transaction.
/// @dev Safety rules (each has a unit test that tries to break it):
///      1. Callbacks are accepted only from the contract the in-flight plan called, while it waits for that
///         callback (transient ExecutionContext); Aave's callback also requires `initiator == address(this)`.
///      2. Profit is the profit token balance growth after the loan is repaid; below `minProfit` everything reverts.
///      3. Only owner-allowlisted lenders, markets and routers are ever called or approved.
///      4. Approvals are exact and end at zero; every token the plan touched ends the transaction at zero balance
///         (profit and residues are paid to the treasury).
///      5. `paused` stops every plan; `rescueTokens` pays only the owner.
contract ChimeraExecutor is IChimeraExecutor, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using ExactApprovals for IERC20;

    /* CONSTANTS */

    /// @notice The pseudo-address `rescueTokens` takes for native ETH.
    address public constant NATIVE_TOKEN = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    /* STORAGE */

    /// @inheritdoc IChimeraExecutor
    address public treasury;

    /// @inheritdoc IChimeraExecutor
    /// @dev Packed in the same slot as `treasury`: the hot path reads both for one cold storage access.
    bool public paused;

    /// @inheritdoc IChimeraExecutor
    mapping(address account => bool) public isOperator;

    /// @inheritdoc IChimeraExecutor
    mapping(address target => bool) public isAllowedTarget;

    /* MODIFIERS */

    /// @dev First modifier on every plan entry point: a stale plan reverts before any storage read.
    modifier notExpired(uint256 deadlineBlock) {
        if (block.number > deadlineBlock) revert PlanExpired(deadlineBlock, block.number);
        _;
    }

    modifier onlyOperator() {
        if (!isOperator[msg.sender]) revert CallerNotOperator(msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (paused) revert EnforcedPause();
        _;
    }

    /* CONSTRUCTOR */

    /// @param initialOwner The owner (a Safe in production); receives rescued tokens.
    /// @param initialTreasury Where profit goes.
    /// @param initialOperators Keeper hot keys allowed to submit plans and pause.
    /// @param initialAllowedTargets Lenders, markets and routers plans may call.
    /// @dev Everything is set here so that a Safe owner needs no follow-up transaction after deployment.
    constructor(
        address initialOwner,
        address initialTreasury,
        address[] memory initialOperators,
        address[] memory initialAllowedTargets
    ) Ownable(_requireOwner(initialOwner)) {
        _setTreasury(initialTreasury);
        for (uint256 i; i < initialOperators.length; ++i) {
            _setOperator(initialOperators[i], true);
        }
        for (uint256 i; i < initialAllowedTargets.length; ++i) {
            _setAllowedTarget(initialAllowedTargets[i], true);
        }
    }

    /* OPERATOR FUNCTIONS */

    /// @inheritdoc IChimeraExecutor
    function liquidate(Plan calldata plan)
        external
        notExpired(plan.deadlineBlock)
        onlyOperator
        whenNotPaused
        nonReentrant
    {
        Liquidation[] memory liquidations = new Liquidation[](1);
        liquidations[0] = plan.liquidation;
        _execute(plan.flash, liquidations, plan.profitToken, plan.minProfit);
    }

    /// @inheritdoc IChimeraExecutor
    function liquidateBatch(BatchPlan calldata plan)
        external
        notExpired(plan.deadlineBlock)
        onlyOperator
        whenNotPaused
        nonReentrant
    {
        if (plan.liquidations.length == 0) revert EmptyBatch();
        _execute(plan.flash, plan.liquidations, plan.profitToken, plan.minProfit);
    }

    /// @inheritdoc IChimeraExecutor
    function pause() external {
        if (!isOperator[msg.sender] && msg.sender != owner()) revert CallerNotOwnerOrOperator(msg.sender);
        if (paused) revert EnforcedPause();
        paused = true;
        emit Paused(msg.sender);
    }

    /* ONLY OWNER FUNCTIONS */

    /// @inheritdoc IChimeraExecutor
    function unpause() external onlyOwner {
        if (!paused) revert ExpectedPause();
        paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IChimeraExecutor
    function setOperator(address operator, bool allowed) external onlyOwner {
        _setOperator(operator, allowed);
    }

    /// @inheritdoc IChimeraExecutor
    function setAllowedTarget(address target, bool allowed) external onlyOwner {
        _setAllowedTarget(target, allowed);
    }

    /// @inheritdoc IChimeraExecutor
    function setAllowedTargets(address[] calldata targets, bool allowed) external onlyOwner {
        for (uint256 i; i < targets.length; ++i) {
            _setAllowedTarget(targets[i], allowed);
        }
    }

    /// @inheritdoc IChimeraExecutor
    function setTreasury(address newTreasury) external onlyOwner {
        _setTreasury(newTreasury);
    }

    /// @inheritdoc IChimeraExecutor
    function rescueTokens(address token, uint256 amount) external onlyOwner nonReentrant {
        address to = owner();
        if (token == NATIVE_TOKEN) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
        emit TokensRescued(token, to, amount);
    }

    /// @notice Disabled: an ownerless executor could never be unpaused, reconfigured or rescued.
    function renounceOwnership() public pure override {
        revert RenounceOwnershipDisabled();
    }

    /* FLASH LOAN CALLBACKS */

    /// @inheritdoc IChimeraExecutor
    function receiveFlashLoan(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata feeAmounts,
        bytes calldata userData
    ) external {
        ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingFlashCallback);
        uint256 fee = feeAmounts[0];
        _liquidateWithFlashFunds(userData, fee);
        // The Vault checks its balance after the callback: repayment is a transfer, not an approval.
        IERC20(tokens[0]).safeTransfer(msg.sender, amounts[0] + fee);
    }

    /// @inheritdoc IChimeraExecutor
    function onMorphoFlashLoan(uint256 assets, bytes calldata data) external {
        ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingFlashCallback);
        (address token, ) = _liquidateWithFlashFunds(data, 0);
        // Morpho pulls exactly `assets` right after this returns.
        IERC20(token).approveExact(msg.sender, assets);
    }

    /// @inheritdoc IChimeraExecutor
    function executeOperation(
        address asset,
        uint256 amount,
        uint256 premium,
        address initiator,
        bytes calldata params
    ) external returns (bool) {
        ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingFlashCallback);
        if (initiator != address(this)) revert UntrustedFlashInitiator(initiator);
        _liquidateWithFlashFunds(params, premium);
        // The pool pulls exactly `amount + premium` right after this returns.
        IERC20(asset).approveExact(msg.sender, amount + premium);
        return true;
    }

    /// @inheritdoc IChimeraExecutor
    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) external {
        ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingFlashCallback);
        // Only one side was borrowed, so the other side's fee is zero.
        uint256 fee = fee0 + fee1;
        (address token, uint256 amount) = _liquidateWithFlashFunds(data, fee);
        // The pool checks its balances after the callback: repayment is a transfer.
        IERC20(token).safeTransfer(msg.sender, amount + fee);
    }

    /* PROTOCOL CALLBACKS */

    /// @inheritdoc IChimeraExecutor
    function onMorphoLiquidate(uint256 repaidAssets, bytes calldata data) external {
        ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingMorphoLiquidateCallback);
        (Swap memory swap, address collateralToken, address loanToken) = abi.decode(data, (Swap, address, address));
        // Morpho has just sent the seized collateral; selling it here is what lets a Morpho liquidation run with no
        // flash loan at all.
        uint256 available = IERC20(collateralToken).balanceOf(address(this));
        (uint256 sold, uint256 bought) = _swap(swap, collateralToken, loanToken, available);
        ExecutionContext.recordSwap(sold, bought);
        // Morpho pulls exactly `repaidAssets` right after this returns.
        IERC20(loanToken).approveExact(msg.sender, repaidAssets);
    }

    /* PLAN EXECUTION */

    /// @dev Borrows, runs the liquidations (inside the lender's callback), then settles. The loan is repaid inside
    ///      the callback, so by the time `_settle` measures the profit token balance the loan is already paid back.
    function _execute(
        FlashLoan calldata flash,
        Liquidation[] memory liquidations,
        address profitToken,
        uint256 minProfit
    ) private {
        uint256 balanceBefore = IERC20(profitToken).balanceOf(address(this));
        uint256 flashFee = 0;
        if (flash.source == FlashSource.None) {
            ExecutionContext.enter(ExecutionContext.Phase.Liquidating, address(0));
            _liquidateAll(liquidations);
        } else {
            _requireAllowed(flash.lender);
            ExecutionContext.enter(ExecutionContext.Phase.AwaitingFlashCallback, flash.lender);
            _borrow(flash, abi.encode(flash.token, flash.amount, liquidations));
            flashFee = ExecutionContext.flashFee();
        }
        ExecutionContext.clear();

        address payee = treasury;
        uint256 profit = _settle(profitToken, balanceBefore, minProfit, payee);
        _sweepResidues(flash, liquidations, profitToken, payee);
        emit PlanExecuted(
            msg.sender,
            profitToken,
            payee,
            flash.source,
            flash.lender,
            flash.amount,
            flashFee,
            profit,
            liquidations.length
        );
    }

    /// @dev Starts the flash loan; the lender calls back into one of the FLASH LOAN CALLBACKS with `data`.
    function _borrow(FlashLoan calldata flash, bytes memory data) private {
        if (flash.source == FlashSource.BalancerV2) {
            address[] memory tokens = new address[](1);
            uint256[] memory amounts = new uint256[](1);
            tokens[0] = flash.token;
            amounts[0] = flash.amount;
            IBalancerVault(flash.lender).flashLoan(address(this), tokens, amounts, data);
        } else if (flash.source == FlashSource.MorphoBlue) {
            IMorphoBlue(flash.lender).flashLoan(flash.token, flash.amount, data);
            // No clear: Morpho pulled exactly the `assets` it lent, which is exactly what the callback approved.
        } else if (flash.source == FlashSource.AaveV3) {
            IAaveV3Pool(flash.lender).flashLoanSimple(address(this), flash.token, flash.amount, data, 0);
        } else {
            IUniswapV3Pool pool = IUniswapV3Pool(flash.lender);
            if (flash.token == pool.token0()) {
                pool.flash(address(this), flash.amount, 0, data);
            } else if (flash.token == pool.token1()) {
                pool.flash(address(this), 0, flash.amount, data);
            } else {
                revert FlashTokenNotInPool(flash.lender, flash.token);
            }
        }
    }

    /// @dev Shared body of the flash callbacks: records the fee and runs the plan's liquidations.
    /// @return token The borrowed token, for the repayment.
    /// @return amount The borrowed amount, for lenders whose callback does not repeat it (Uniswap V3).
    function _liquidateWithFlashFunds(
        bytes calldata data,
        uint256 fee
    ) private returns (address token, uint256 amount) {
        ExecutionContext.recordFlashFee(fee);
        Liquidation[] memory liquidations;
        (token, amount, liquidations) = abi.decode(data, (address, uint256, Liquidation[]));
        _liquidateAll(liquidations);
    }

    function _liquidateAll(Liquidation[] memory liquidations) private {
        for (uint256 i; i < liquidations.length; ++i) {
            _liquidate(liquidations[i]);
        }
    }

    /// @dev What one liquidation did, for its event.
    struct Outcome {
        uint256 debtRepaid;
        uint256 collateralSeized;
        uint256 collateralSold;
        uint256 debtTokenBought;
    }

    function _liquidate(Liquidation memory liquidation) private {
        _requireAllowed(liquidation.market);
        Outcome memory outcome;
        if (liquidation.protocol == ProtocolKind.AaveV3) {
            outcome = _liquidateAaveV3(liquidation);
        } else if (liquidation.protocol == ProtocolKind.MorphoBlue) {
            outcome = _liquidateMorphoBlue(liquidation);
        } else {
            outcome = _liquidateCompoundV2(liquidation);
        }
        emit Liquidated(
            liquidation.borrower,
            liquidation.collateralToken,
            liquidation.debtToken,
            liquidation.protocol,
            liquidation.market,
            outcome.debtRepaid,
            outcome.collateralSeized,
            outcome.collateralSold,
            outcome.debtTokenBought
        );
    }

    /// @dev `liquidationCall` with `receiveAToken = false`, then the swap. The pool may repay less than
    ///      `debtToCover` (close factor), so the unused approval is read back and cleared.
    function _liquidateAaveV3(Liquidation memory liquidation) private returns (Outcome memory outcome) {
        IERC20 collateral = IERC20(liquidation.collateralToken);
        IERC20 debt = IERC20(liquidation.debtToken);
        uint256 collateralBefore = collateral.balanceOf(address(this));

        debt.approveExact(liquidation.market, liquidation.debtToCover);
        IAaveV3Pool(liquidation.market).liquidationCall(
            liquidation.collateralToken,
            liquidation.debtToken,
            liquidation.borrower,
            liquidation.debtToCover,
            false
        );
        outcome.debtRepaid = liquidation.debtToCover - debt.clear(liquidation.market);

        uint256 collateralAfter = collateral.balanceOf(address(this));
        outcome.collateralSeized = collateralAfter - collateralBefore;
        (outcome.collateralSold, outcome.debtTokenBought) =
            _swap(liquidation.swap, liquidation.collateralToken, liquidation.debtToken, collateralAfter);
    }

    /// @dev `liquidate` with a non-empty callback payload: Morpho sends the collateral, calls `onMorphoLiquidate`
    ///      (which sells it and approves the repayment), then pulls the repayment.
    function _liquidateMorphoBlue(Liquidation memory liquidation) private returns (Outcome memory outcome) {
        MarketParams memory marketParams = MarketParams({
            loanToken: liquidation.debtToken,
            collateralToken: liquidation.collateralToken,
            oracle: liquidation.morpho.oracle,
            irm: liquidation.morpho.irm,
            lltv: liquidation.morpho.lltv
        });
        // Zero the swap record first so a result can only come from this liquidation's own callback.
        ExecutionContext.recordSwap(0, 0);
        ExecutionContext.enter(ExecutionContext.Phase.AwaitingMorphoLiquidateCallback, liquidation.market);
        (outcome.collateralSeized, outcome.debtRepaid) = IMorphoBlue(liquidation.market).liquidate(
            marketParams,
            liquidation.borrower,
            liquidation.morpho.seizedAssets,
            liquidation.morpho.repaidShares,
            abi.encode(liquidation.swap, liquidation.collateralToken, liquidation.debtToken)
        );
        // The callback already moved the phase on; set it again so nothing depends on Morpho having called back.
        ExecutionContext.enter(ExecutionContext.Phase.Liquidating, address(0));
        (outcome.collateralSold, outcome.debtTokenBought) = ExecutionContext.recordedSwap();
    }

    /// @dev `liquidateBorrow` on the debt market, `redeem` of every seized share on the collateral market, then the
    ///      swap. Both calls report failure as a return code, which is turned into a revert.
    function _liquidateCompoundV2(Liquidation memory liquidation) private returns (Outcome memory outcome) {
        ICompoundV2Market collateralMarket = ICompoundV2Market(liquidation.collateralMarket);
        _requireAllowed(address(collateralMarket));
        IERC20 collateral = IERC20(liquidation.collateralToken);
        IERC20 debt = IERC20(liquidation.debtToken);
        uint256 collateralBefore = collateral.balanceOf(address(this));

        debt.approveExact(liquidation.market, liquidation.debtToCover);
        uint256 errorCode = ICompoundV2Market(liquidation.market).liquidateBorrow(
            liquidation.borrower,
            liquidation.debtToCover,
            address(collateralMarket)
        );
        if (errorCode != 0) revert CompoundV2CallFailed(liquidation.market, errorCode);
        outcome.debtRepaid = liquidation.debtToCover - debt.clear(liquidation.market);

        errorCode = collateralMarket.redeem(collateralMarket.balanceOf(address(this)));
        if (errorCode != 0) revert CompoundV2CallFailed(address(collateralMarket), errorCode);

        uint256 collateralAfter = collateral.balanceOf(address(this));
        outcome.collateralSeized = collateralAfter - collateralBefore;
        (outcome.collateralSold, outcome.debtTokenBought) =
            _swap(liquidation.swap, liquidation.collateralToken, liquidation.debtToken, collateralAfter);
    }

    /* SWAPS */

    /// @dev Sells `swap.amountIn` (0: all of `available`) of `tokenIn` for `tokenOut` on an allowlisted router, with
    ///      the route checked to start at `tokenIn` and end at `tokenOut`, and the router's approval cleared after.
    /// @return amountIn What was sold.
    /// @return amountOut What the router returned.
    function _swap(
        Swap memory swap,
        address tokenIn,
        address tokenOut,
        uint256 available
    ) private returns (uint256 amountIn, uint256 amountOut) {
        if (swap.venue == SwapVenue.None) return (0, 0);
        _requireAllowed(swap.router);
        amountIn = swap.amountIn == 0 ? available : swap.amountIn;
        IERC20(tokenIn).approveExact(swap.router, amountIn);

        if (swap.venue == SwapVenue.Aerodrome) {
            amountOut = _swapAerodrome(swap, tokenIn, tokenOut, amountIn);
        } else {
            (address routeIn, address routeOut) = SwapRoutes.packedPathEnds(swap.route);
            _requireRouteEnds(tokenIn, tokenOut, routeIn, routeOut);
            if (swap.venue == SwapVenue.UniswapV3) {
                amountOut = ISwapRouter02(swap.router).exactInput(
                    ISwapRouter02.ExactInputParams({
                        path: swap.route,
                        recipient: address(this),
                        amountIn: amountIn,
                        amountOutMinimum: swap.minAmountOut
                    })
                );
            } else {
                // Slipstream wants a timestamp deadline; the plan's block deadline has already been enforced.
                amountOut = ISlipstreamSwapRouter(swap.router).exactInput(
                    ISlipstreamSwapRouter.ExactInputParams({
                        path: swap.route,
                        recipient: address(this),
                        deadline: block.timestamp,
                        amountIn: amountIn,
                        amountOutMinimum: swap.minAmountOut
                    })
                );
            }
        }
        IERC20(tokenIn).clear(swap.router);
    }

    function _swapAerodrome(
        Swap memory swap,
        address tokenIn,
        address tokenOut,
        uint256 amountIn
    ) private returns (uint256 amountOut) {
        AerodromeRoute[] memory routes = abi.decode(swap.route, (AerodromeRoute[]));
        (address routeIn, address routeOut) = SwapRoutes.aerodromeRouteEnds(routes);
        _requireRouteEnds(tokenIn, tokenOut, routeIn, routeOut);
        uint256[] memory amounts = IAerodromeRouter(swap.router).swapExactTokensForTokens(
            amountIn,
            swap.minAmountOut,
            routes,
            address(this),
            block.timestamp
        );
        amountOut = amounts[amounts.length - 1];
    }

    function _requireRouteEnds(address tokenIn, address tokenOut, address routeIn, address routeOut) private pure {
        if (routeIn != tokenIn || routeOut != tokenOut) revert SwapRouteMismatch(tokenIn, tokenOut, routeIn, routeOut);
    }

    /* SETTLEMENT */

    /// @dev Enforces `minProfit` on the profit token's balance growth and pays the executor's whole balance of it
    ///      (the growth plus anything stray it held) to `payee`.
    function _settle(
        address profitToken,
        uint256 balanceBefore,
        uint256 minProfit,
        address payee
    ) private returns (uint256 profit) {
        uint256 balanceAfter = IERC20(profitToken).balanceOf(address(this));
        profit = balanceAfter > balanceBefore ? balanceAfter - balanceBefore : 0;
        if (balanceAfter < balanceBefore || profit < minProfit) revert InsufficientProfit(profit, minProfit);
        if (balanceAfter > 0) IERC20(profitToken).safeTransfer(payee, balanceAfter);
    }

    /// @dev Pays any other token the plan may have left behind to `payee`. Skips tokens that cannot hold a residue
    ///      (the profit token, already paid; collateral a swap sold in full), so the common plan makes no extra call.
    function _sweepResidues(
        FlashLoan calldata flash,
        Liquidation[] memory liquidations,
        address profitToken,
        address payee
    ) private {
        if (flash.source != FlashSource.None) _sweep(flash.token, profitToken, payee);
        for (uint256 i; i < liquidations.length; ++i) {
            Liquidation memory liquidation = liquidations[i];
            _sweep(liquidation.debtToken, profitToken, payee);
            if (liquidation.swap.venue == SwapVenue.None || liquidation.swap.amountIn != 0) {
                _sweep(liquidation.collateralToken, profitToken, payee);
            }
        }
    }

    function _sweep(address token, address profitToken, address payee) private {
        if (token == profitToken) return;
        uint256 residue = IERC20(token).balanceOf(address(this));
        if (residue > 0) {
            IERC20(token).safeTransfer(payee, residue);
            emit ResidualSwept(token, payee, residue);
        }
    }

    /* ADMINISTRATION */

    /// @dev Runs before Ownable's own check so a zero owner fails with the same field-naming error as the rest.
    function _requireOwner(address initialOwner) private pure returns (address) {
        if (initialOwner == address(0)) revert InvalidAddress("owner", initialOwner);
        return initialOwner;
    }

    function _requireAllowed(address target) private view {
        if (!isAllowedTarget[target]) revert TargetNotAllowed(target);
    }

    function _setOperator(address operator, bool allowed) private {
        if (operator == address(0)) revert InvalidAddress("operator", operator);
        isOperator[operator] = allowed;
        emit OperatorSet(operator, allowed);
    }

    function _setAllowedTarget(address target, bool allowed) private {
        if (target == address(0) || target == address(this)) revert InvalidAddress("target", target);
        isAllowedTarget[target] = allowed;
        emit AllowedTargetSet(target, allowed);
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0) || newTreasury == address(this)) revert InvalidAddress("treasury", newTreasury);
        address previousTreasury = treasury;
        treasury = newTreasury;
        emit TreasurySet(previousTreasury, newTreasury);
    }
}
