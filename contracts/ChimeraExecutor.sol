// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

import {IChimeraExecutor} from "./interfaces/IChimeraExecutor.sol";
import {IAaveV3Pool} from "./interfaces/IAaveV3Pool.sol";
import {IBalancerVault} from "./interfaces/IBalancerVault.sol";
import {IMorphoBlue} from "./interfaces/IMorphoBlue.sol";
import {IUniswapV3Pool} from "./interfaces/IUniswapV3Pool.sol";
import {BalanceLedger} from "./libraries/BalanceLedger.sol";
import {ExecutionContext} from "./libraries/ExecutionContext.sol";
import {ExactApprovals} from "./libraries/ExactApprovals.sol";
import {MoonwellMorphoOev} from "./libraries/MoonwellMorphoOev.sol";
import {PlanCalldata} from "./libraries/PlanCalldata.sol";
import {ExecutorAccess} from "./executor/ExecutorAccess.sol";
import {ProtocolLiquidations} from "./executor/ProtocolLiquidations.sol";

/// @title ChimeraExecutor
/// @notice Flash-loan-funded liquidations on Aave V3 (and forks), Morpho Blue and Compound-v2-family markets
///         (Moonwell, directly or through the OEV wrapper of its collateral's price feed), selling seized collateral on
///         Uniswap V3 or Aerodrome, with every gain paid to the treasury in the same transaction and no balance it held
///         before a plan ever spent by one.
/// @dev Safety rules (each has a unit test that tries to break it):
///      0. A stolen operator key can pause and waste gas, and give away the surplus of the liquidations it submits
///         (by selling badly); nothing it submits can take what the executor holds (rule 2) or call anything the owner
///         has not allowlisted (rule 3). IChimeraExecutor's trust model lists both sides exactly.
///      1. Callbacks are accepted only from the contract the in-flight plan called, while it waits for that callback
///         (transient ExecutionContext); Aave's callback also requires `initiator == address(this)`.
///      2. At its entry point a plan snapshots the executor's balance of every token it names (flash, debt,
///         collateral, collateral market, profit). At its end each must be at least at its snapshot; profit is the
///         profit token's growth over its snapshot and reverts below `minProfit`; every growth goes to the treasury;
///         "sell all" sells only what the plan received. What the executor held before stays where it is.
///      3. Only owner-allowlisted lenders, markets, OEV wrappers and routers are ever called or approved, and Morpho
///         Blue markets are allowlisted by id; all of it is checked before the plan's first external call.
///      4. Approvals are exact and end at zero.
///      5. `paused` stops every plan; `rescueTokens` pays only the owner.
///      Its parts, one job per file: ExecutorAccess (roles, allowlists, treasury, pause), ProtocolLiquidations (one
///      function per protocol kind) and ExecutorSwaps (one branch per venue); this file runs the plan.
contract ChimeraExecutor is ExecutorAccess, ProtocolLiquidations, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using ExactApprovals for IERC20;
    using BalanceLedger for BalanceLedger.Ledger;
    using TransientSlot for *;

    /* CONSTANTS */

    /// @notice The pseudo-address `rescueTokens` takes for native ETH.
    address public constant NATIVE_TOKEN = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    uint8 private constant FLASH_NONE = uint8(FlashSource.None);
    uint8 private constant FLASH_BALANCER_V2 = uint8(FlashSource.BalancerV2);
    uint8 private constant FLASH_MORPHO_BLUE = uint8(FlashSource.MorphoBlue);
    uint8 private constant FLASH_AAVE_V3 = uint8(FlashSource.AaveV3);
    uint8 private constant FLASH_UNISWAP_V3 = uint8(FlashSource.UniswapV3);
    uint8 private constant PROTOCOL_AAVE_V3 = uint8(ProtocolKind.AaveV3);
    uint8 private constant PROTOCOL_MORPHO_BLUE = uint8(ProtocolKind.MorphoBlue);
    uint8 private constant PROTOCOL_COMPOUND_V2 = uint8(ProtocolKind.CompoundV2);
    uint8 private constant PROTOCOL_MOONWELL_OEV = uint8(ProtocolKind.MoonwellOev);
    uint8 private constant PROTOCOL_MOONWELL_MORPHO_OEV = uint8(ProtocolKind.MoonwellMorphoOev);

    /// @dev Tokens a plan can name: the flash token and the profit token, plus per liquidation its debt token,
    ///      collateral token and collateral market.
    uint256 private constant TOKENS_PER_PLAN = 2;
    uint256 private constant TOKENS_PER_LIQUIDATION = 3;

    /* MODIFIERS */

    /// @dev First modifier on every plan entry point: a stale plan reverts before any storage read.
    modifier notExpired(uint256 deadlineBlock) {
        if (block.number > deadlineBlock) revert PlanExpired(deadlineBlock, block.number);
        _;
    }

    /* CONSTRUCTOR */

    /// @param initialOwner The owner (a Safe in production); receives rescued tokens.
    /// @param initialTreasury Where profit goes.
    /// @param initialOperators Keeper hot keys allowed to submit plans and pause.
    /// @param initialAllowedTargets Lenders, pools, markets and routers plans may call.
    /// @param initialAllowedMarkets Morpho Blue markets plans may liquidate in.
    /// @dev Everything is set here (ExecutorAccess) so that a Safe owner needs no follow-up transaction after deployment.
    constructor(
        address initialOwner,
        address initialTreasury,
        address[] memory initialOperators,
        address[] memory initialAllowedTargets,
        HostedMarket[] memory initialAllowedMarkets
    ) ExecutorAccess(initialOwner, initialTreasury, initialOperators, initialAllowedTargets, initialAllowedMarkets) {}

    /* OPERATOR FUNCTIONS */

    /// @dev A plan's entry checks after `notExpired`, in the documented order: `CallerNotOperator`, `EnforcedPause`,
    ///      then `ReentrancyGuardReentrantCall` (OpenZeppelin's transient guard, entered here and left by `_leavePlan`).
    ///      The operator bits, the pause flag, the treasury and the pinned targets' bits share one slot, read once
    ///      (cold: the four reads below are one `SLOAD`) before the checks and the guard's transient write, and what
    ///      admission and settlement need of it is returned on the stack, instead of read again (warm, 100 gas) by the
    ///      role check, each allowlist check and the payout.
    /// @return payee The treasury: where the plan's growth goes.
    /// @return pinnedTargetsAllowed Bit i: whether `PINNED_TARGET_<i>` is allowed (`_requireAllowed`).
    function _enterPlan() private returns (address payee, uint256 pinnedTargetsAllowed) {
        bool isPaused = paused;
        payee = treasury;
        pinnedTargetsAllowed = _pinnedTargetsAllowed;
        if (!_hasOperatorRole(msg.sender, _pinnedOperatorsAllowed)) revert CallerNotOperator(msg.sender);
        if (isPaused) revert EnforcedPause();
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        _reentrancyGuardStorageSlot().asBoolean().tstore(true);
    }

    function _leavePlan() private {
        _reentrancyGuardStorageSlot().asBoolean().tstore(false);
    }

    /// @inheritdoc IChimeraExecutor
    function liquidate(Plan calldata plan)
        external
        notExpired(plan.deadlineBlock)
    {
        (address payee, uint256 pinned) = _enterPlan();
        // Each member of the calldata plan is read (offset- and range-checked) once and passed on.
        FlashLoan calldata flash = plan.flash;
        address profitToken = plan.profitToken;
        BalanceLedger.Ledger ledger = _openLedger(flash, profitToken, 1, pinned);
        address collateralToken = _admit(plan.liquidation, ledger, pinned);
        // Fresh (see `_liquidateAll`) unless the collateral is the flash token, the one balance the loan moves (a plan
        // without a loan naming its collateral as flash token runs not fresh: correct, only not the cheaper way).
        bool fresh = collateralToken != flash.token;
        _execute(flash, ledger, profitToken, plan.minProfit, fresh, payee);
        _leavePlan();
    }

    /// @inheritdoc IChimeraExecutor
    function liquidateBatch(BatchPlan calldata plan)
        external
        notExpired(plan.deadlineBlock)
    {
        (address payee, uint256 pinned) = _enterPlan();
        uint256 count = plan.liquidations.length;
        if (count == 0) revert EmptyBatch();
        BalanceLedger.Ledger ledger = _openLedger(plan.flash, plan.profitToken, count, pinned);
        for (uint256 i; i < count; ++i) {
            _admit(plan.liquidations[i], ledger, pinned);
        }
        _execute(plan.flash, ledger, plan.profitToken, plan.minProfit, false, payee);
        _leavePlan();
    }

    /* ONLY OWNER FUNCTIONS */

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

    /* FLASH LOAN CALLBACKS */
    // Each lender hands back, as `userData` / `data` / `params`, the entry point's own calldata that `_borrow` gave it
    // (PlanCalldata reads the plan from it in place).

    /// @inheritdoc IChimeraExecutor
    function receiveFlashLoan(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata feeAmounts,
        bytes calldata userData
    ) external {
        bool fresh = ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingFlashCallback);
        uint256 fee = feeAmounts[0];
        ExecutionContext.recordFlashFee(fee);
        _liquidateAll(userData, fresh);
        // The Vault checks its balance after the callback: repayment is a transfer, not an approval.
        IERC20(tokens[0]).safeTransfer(msg.sender, amounts[0] + fee);
    }

    /// @inheritdoc IChimeraExecutor
    function onMorphoFlashLoan(uint256 assets, bytes calldata data) external {
        bool fresh = ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingFlashCallback);
        _liquidateAll(data, fresh);
        // Morpho pulls exactly `assets` right after this returns.
        IERC20(PlanCalldata.flash(data).token).approveExact(msg.sender, assets);
    }

    /// @inheritdoc IChimeraExecutor
    function executeOperation(
        address asset,
        uint256 amount,
        uint256 premium,
        address initiator,
        bytes calldata params
    ) external returns (bool) {
        bool fresh = ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingFlashCallback);
        if (initiator != address(this)) revert UntrustedFlashInitiator(initiator);
        ExecutionContext.recordFlashFee(premium);
        _liquidateAll(params, fresh);
        // The pool pulls exactly `amount + premium` right after this returns.
        IERC20(asset).approveExact(msg.sender, amount + premium);
        return true;
    }

    /// @inheritdoc IChimeraExecutor
    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) external {
        bool fresh = ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingFlashCallback);
        // Only one side was borrowed, so the other side's fee is zero.
        uint256 fee = fee0 + fee1;
        ExecutionContext.recordFlashFee(fee);
        _liquidateAll(data, fresh);
        // The pool checks its balances after the callback: repayment is a transfer.
        FlashLoan calldata flash = PlanCalldata.flash(data);
        IERC20(flash.token).safeTransfer(msg.sender, flash.amount + fee);
    }

    /* PROTOCOL CALLBACKS */

    /// @inheritdoc IChimeraExecutor
    function onMorphoLiquidate(uint256 repaidAssets, bytes calldata data) external {
        ExecutionContext.acceptCallback(ExecutionContext.Phase.AwaitingMorphoLiquidateCallback);
        Liquidation calldata liquidation = PlanCalldata.liquidation(data);
        address collateralToken = liquidation.collateralToken;
        address loanToken = liquidation.debtToken;
        // Morpho has just sent the seized collateral; selling it here is what lets a Morpho liquidation run with no
        // flash loan at all.
        uint256 received = BalanceLedger.receivedSince(collateralToken, BalanceLedger.held(collateralToken));
        (uint256 sold, uint256 bought) = _swap(liquidation.swap, collateralToken, loanToken, received);
        ExecutionContext.recordSwap(sold, bought);
        // Morpho pulls exactly `repaidAssets` right after this returns.
        IERC20(loanToken).approveExact(msg.sender, repaidAssets);
    }

    /* PLAN ADMISSION */
    // Everything a plan names is checked against the allowlists, and every token it names is snapshotted, before its
    // first external call. Admission does not depend on the protocol kind beyond Morpho's market id, so an unknown kind
    // is refused by name when it is dispatched (`UnknownProtocolKind`), never treated as a known one.

    /// @dev A ledger sized for `liquidationCount` liquidations, tracking the flash token (if any) and the profit token.
    function _openLedger(
        FlashLoan calldata flash,
        address profitToken,
        uint256 liquidationCount,
        uint256 pinned
    ) private view returns (BalanceLedger.Ledger ledger) {
        ledger = BalanceLedger.open(TOKENS_PER_PLAN + TOKENS_PER_LIQUIDATION * liquidationCount);
        if (flash.source != FLASH_NONE) {
            _requireAllowed(flash.lender, pinned);
            ledger.track(flash.token, false);
        }
        ledger.track(profitToken, false);
    }

    /// @dev Checks every contract and market one liquidation names, and tracks every token it names.
    /// @return collateralToken The liquidation's collateral token (for `liquidate`'s `fresh`).
    function _admit(
        Liquidation calldata liquidation,
        BalanceLedger.Ledger ledger,
        uint256 pinned
    ) private view returns (address collateralToken) {
        collateralToken = liquidation.collateralToken;
        address debtToken = liquidation.debtToken;
        if (collateralToken == debtToken) revert CollateralIsDebtToken(debtToken);
        uint8 protocol = liquidation.protocol;
        if (protocol == PROTOCOL_MORPHO_BLUE || protocol == PROTOCOL_MOONWELL_MORPHO_OEV) {
            bytes32 marketId = keccak256(abi.encode(_morphoMarketParams(liquidation)));
            if (!isAllowedMarket[liquidation.market][marketId]) revert MarketNotAllowed(liquidation.market, marketId);
        } else {
            _requireAllowed(liquidation.market, pinned);
        }
        if (protocol == PROTOCOL_MOONWELL_MORPHO_OEV) {
            // The wrapper is what the liquidation calls and approves; it must liquidate on the Morpho instance whose
            // market id was just checked.
            _requireAllowed(liquidation.oevWrapper, pinned);
            MoonwellMorphoOev.requireLiquidatesOn(liquidation.oevWrapper, liquidation.market);
        }
        if (protocol == PROTOCOL_MOONWELL_OEV) {
            // The wrapper is what an OEV liquidation calls and approves, and the collateral market is what it redeems:
            // both are required (zero is never allowed).
            _requireAllowed(liquidation.oevWrapper, pinned);
            _requireAllowed(liquidation.collateralMarket, pinned);
        }
        address collateralMarket = liquidation.collateralMarket;
        if (collateralMarket != address(0)) {
            _requireAllowed(collateralMarket, pinned);
            ledger.track(collateralMarket, true);
        }
        Swap calldata swap = liquidation.swap;
        if (swap.venue != VENUE_NONE) _requireAllowed(swap.router, pinned);
        ledger.track(debtToken, false);
        ledger.track(collateralToken, true);
    }

    /* PLAN EXECUTION */

    /// @dev Snapshots, borrows, runs the liquidations (inside the lender's callback), then settles. The loan is repaid
    ///      inside the callback, so by the time `_settle` reads the balances the loan is already paid back.
    function _execute(
        FlashLoan calldata flash,
        BalanceLedger.Ledger ledger,
        address profitToken,
        uint256 minProfit,
        bool fresh,
        address payee
    ) private {
        ledger.snapshot();
        uint256 flashFee = 0;
        uint8 source = flash.source;
        if (source == FLASH_NONE) {
            ExecutionContext.enter(ExecutionContext.Phase.Liquidating, address(0));
            _liquidateAll(msg.data, fresh);
        } else {
            ExecutionContext.awaitFlashCallback(flash.lender, fresh);
            _borrow(flash, source);
            flashFee = ExecutionContext.flashFee();
            ExecutionContext.forgetFlashFee(flashFee);
        }
        ExecutionContext.clear();

        uint256 profit = _settle(ledger, profitToken, minProfit, payee);
        emit PlanExecuted(msg.sender, profitToken, payee, flashFee, profit);
    }

    /// @dev Starts the flash loan with this entry point's calldata as payload; the lender calls back into one of the
    ///      FLASH LOAN CALLBACKS with it.
    function _borrow(FlashLoan calldata flash, uint8 source) private {
        if (source == FLASH_BALANCER_V2) {
            address[] memory tokens = new address[](1);
            uint256[] memory amounts = new uint256[](1);
            tokens[0] = flash.token;
            amounts[0] = flash.amount;
            IBalancerVault(flash.lender).flashLoan(address(this), tokens, amounts, msg.data);
        } else if (source == FLASH_MORPHO_BLUE) {
            IMorphoBlue(flash.lender).flashLoan(flash.token, flash.amount, msg.data);
            // No clear: Morpho pulled exactly the `assets` it lent, which is exactly what the callback approved.
        } else if (source == FLASH_AAVE_V3) {
            IAaveV3Pool(flash.lender).flashLoanSimple(address(this), flash.token, flash.amount, msg.data, 0);
        } else if (source == FLASH_UNISWAP_V3) {
            IUniswapV3Pool pool = IUniswapV3Pool(flash.lender);
            if (flash.token == pool.token0()) {
                pool.flash(address(this), flash.amount, 0, msg.data);
            } else if (flash.token == pool.token1()) {
                pool.flash(address(this), 0, flash.amount, msg.data);
            } else {
                revert FlashTokenNotInPool(flash.lender, flash.token);
            }
        } else {
            revert UnknownFlashSource(source);
        }
    }

    /// @dev Runs the liquidations of the plan whose entry-point calldata is `entryCall`. `fresh` (a single plan whose
    ///      collateral is not the flash token, decided in `liquidate` and carried by the ExecutionContext): nothing since
    ///      the entry point can have lowered the executor's collateral balance (it holds no approval; only the lender's
    ///      call ran), so the entry-point snapshot is its balance before the protocol call and is not read again.
    function _liquidateAll(bytes calldata entryCall, bool fresh) private {
        if (PlanCalldata.isBatch(entryCall)) {
            Liquidation[] calldata liquidations = PlanCalldata.batchPlan(entryCall).liquidations;
            for (uint256 i; i < liquidations.length; ++i) {
                // `fresh` is false here (`liquidateBatch` never runs fresh); passed as is, not as a constant, so that
                // the compiler keeps one copy of `_liquidate` instead of specialising a second (~1,400 bytes).
                _liquidate(liquidations[i], fresh);
            }
        } else {
            _liquidate(PlanCalldata.plan(entryCall).liquidation, fresh);
        }
    }

    function _liquidate(Liquidation calldata liquidation, bool fresh) private {
        uint8 protocol = liquidation.protocol;
        // Read once (each calldata member read is offset- and range-checked) for the protocol call and the event.
        address collateralToken = liquidation.collateralToken;
        address debtToken = liquidation.debtToken;
        // What the liquidation did, for its event: returned on the stack (an `Outcome` struct in memory cost two
        // allocations and their zeroing, ~300 gas a liquidation).
        uint256 debtRepaid;
        uint256 collateralSeized;
        uint256 collateralSold;
        uint256 debtTokenBought;
        if (protocol == PROTOCOL_AAVE_V3) {
            (debtRepaid, collateralSeized, collateralSold, debtTokenBought) = _liquidateAaveV3(
                liquidation,
                IERC20(collateralToken),
                IERC20(debtToken),
                fresh
            );
        } else if (protocol == PROTOCOL_MORPHO_BLUE) {
            (debtRepaid, collateralSeized, collateralSold, debtTokenBought) = _liquidateMorphoBlue(liquidation);
        } else if (protocol == PROTOCOL_COMPOUND_V2) {
            (debtRepaid, collateralSeized, collateralSold, debtTokenBought) = _liquidateCompoundV2(
                liquidation,
                collateralToken,
                IERC20(debtToken),
                fresh
            );
        } else if (protocol == PROTOCOL_MOONWELL_OEV) {
            (debtRepaid, collateralSeized, collateralSold, debtTokenBought) = _liquidateMoonwellOev(
                liquidation,
                collateralToken,
                IERC20(debtToken),
                fresh
            );
        } else if (protocol == PROTOCOL_MOONWELL_MORPHO_OEV) {
            (debtRepaid, collateralSeized, collateralSold, debtTokenBought) = _liquidateMoonwellMorphoOev(liquidation);
        } else {
            revert UnknownProtocolKind(protocol);
        }
        emit Liquidated(
            liquidation.borrower,
            collateralToken,
            debtToken,
            ProtocolKind(protocol),
            debtRepaid,
            collateralSeized,
            collateralSold,
            debtTokenBought
        );
    }

    /* SETTLEMENT */

    /// @dev Reads every tracked token's balance once and pays its growth (and only its growth) to `payee`. Reverts
    ///      `BalanceBelowSnapshot` if any ended below its entry-point snapshot, then `InsufficientProfit` if the profit
    ///      token grew by less than `minProfit`; either revert undoes the payments made before it, so checking and
    ///      paying in one pass (one loop and no growth array) moves
    ///      nothing a failing plan could keep. A payment runs before later tokens are read; the token's code it runs
    ///      can only add to their balances (the executor holds no approval by then and the reentrancy guard is held),
    ///      and what it adds is growth, paid to `payee` too.
    function _settle(
        BalanceLedger.Ledger ledger,
        address profitToken,
        uint256 minProfit,
        address payee
    ) private returns (uint256 profit) {
        uint256 length = ledger.length();
        for (uint256 i; i < length; ++i) {
            (address token, uint256 snapshot) = ledger.entry(i);
            uint256 balance = BalanceLedger.held(token);
            if (balance < snapshot) revert BalanceBelowSnapshot(token, snapshot, balance);
            uint256 growth = balance - snapshot;
            if (token == profitToken) profit = growth;
            if (growth == 0) continue;
            IERC20(token).safeTransfer(payee, growth);
            if (token != profitToken) emit ResidualSwept(token, payee, growth);
        }
        if (profit < minProfit) revert InsufficientProfit(profit, minProfit);
    }
}
