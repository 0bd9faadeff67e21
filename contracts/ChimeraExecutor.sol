// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

import {IChimeraExecutor} from "./interfaces/IChimeraExecutor.sol";
import {IAaveV3Pool} from "./interfaces/IAaveV3Pool.sol";
import {IBalancerVault} from "./interfaces/IBalancerVault.sol";
import {IMorphoBlue, MarketParams} from "./interfaces/IMorphoBlue.sol";
import {ICompoundV2Market} from "./interfaces/ICompoundV2Market.sol";
import {IMoonwellOevWrapper} from "./interfaces/IMoonwellOevWrapper.sol";
import {IUniswapV3Pool} from "./interfaces/IUniswapV3Pool.sol";
import {ISwapRouter02} from "./interfaces/ISwapRouter02.sol";
import {ISlipstreamSwapRouter} from "./interfaces/ISlipstreamSwapRouter.sol";
import {IAerodromeRouter, AerodromeRoute} from "./interfaces/IAerodromeRouter.sol";
import {BalanceLedger} from "./libraries/BalanceLedger.sol";
import {MoonwellMorphoOev} from "./libraries/MoonwellMorphoOev.sol";
import {ExecutionContext} from "./libraries/ExecutionContext.sol";
import {ExactApprovals} from "./libraries/ExactApprovals.sol";
import {PlanCalldata} from "./libraries/PlanCalldata.sol";
import {SwapRoutes} from "./libraries/SwapRoutes.sol";

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
contract ChimeraExecutor is IChimeraExecutor, Ownable2Step, ReentrancyGuardTransient {
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
    uint8 private constant VENUE_NONE = uint8(SwapVenue.None);
    uint8 private constant VENUE_UNISWAP_V3 = uint8(SwapVenue.UniswapV3);
    uint8 private constant VENUE_AERODROME = uint8(SwapVenue.Aerodrome);
    uint8 private constant VENUE_AERODROME_SLIPSTREAM = uint8(SwapVenue.AerodromeSlipstream);

    /// @dev Tokens a plan can name: the flash token and the profit token, plus per liquidation its debt token,
    ///      collateral token and collateral market.
    uint256 private constant TOKENS_PER_PLAN = 2;
    uint256 private constant TOKENS_PER_LIQUIDATION = 3;

    /// @dev How many of the constructor's operators and allowlisted targets are pinned in code (see `PINNED_TARGET_0`).
    uint256 private constant PINNED_OPERATOR_CAPACITY = 4;
    uint256 private constant PINNED_TARGET_CAPACITY = 8;

    /* IMMUTABLES */

    /// @dev The first `PINNED_TARGET_CAPACITY` targets of the constructor's allowlist (the Ignition parameters list the
    ///      flash lenders, the Aave pool and the routers first), kept in code so that admitting a plan compares its
    ///      lender, market and router with constants instead of reading one cold storage slot (2,100 gas) each.
    ///      Whether each is allowed is still the owner's to change at any time: bit i of `_pinnedTargetsAllowed` (in the
    ///      `treasury` slot, which every plan reads anyway) says whether `PINNED_TARGET_<i>` is allowed. Unused ones are
    ///      the zero address with their bit clear, and the zero address can never be allowed (`InvalidAddress`), so
    ///      they never allow anything. A pinned target is never written to `_allowedTargets`.
    address private immutable PINNED_TARGET_0;
    address private immutable PINNED_TARGET_1;
    address private immutable PINNED_TARGET_2;
    address private immutable PINNED_TARGET_3;
    address private immutable PINNED_TARGET_4;
    address private immutable PINNED_TARGET_5;
    address private immutable PINNED_TARGET_6;
    address private immutable PINNED_TARGET_7;

    /// @dev The first `PINNED_OPERATOR_CAPACITY` operators of the constructor, pinned the same way (bit i of
    ///      `_pinnedOperatorsAllowed`): a plan's role check then reads no slot but the `treasury` one. An operator the owner
    ///      grants later (a rotated key) is stored in `_operators` and costs its plans one cold read (2,100 gas) more.
    address private immutable PINNED_OPERATOR_0;
    address private immutable PINNED_OPERATOR_1;
    address private immutable PINNED_OPERATOR_2;
    address private immutable PINNED_OPERATOR_3;

    /* STORAGE */

    /// @inheritdoc IChimeraExecutor
    address public treasury;

    /// @inheritdoc IChimeraExecutor
    /// @dev Packed in the same slot as `treasury`: a plan reads both for one cold storage access.
    bool public paused;

    /// @dev Bit i: whether `PINNED_TARGET_<i>` is allowed. Packed with `treasury` and `paused`.
    uint8 private _pinnedTargetsAllowed;

    /// @dev Bit i: whether `PINNED_OPERATOR_<i>` holds the operator role. Packed with `treasury` and `paused`.
    uint8 private _pinnedOperatorsAllowed;

    /// @dev Operators other than the pinned ones.
    mapping(address account => bool) private _operators;

    /// @dev Allowed targets other than the pinned ones.
    mapping(address target => bool) private _allowedTargets;

    /// @inheritdoc IChimeraExecutor
    mapping(address host => mapping(bytes32 marketId => bool)) public isAllowedMarket;

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
    /// @dev Everything is set here so that a Safe owner needs no follow-up transaction after deployment.
    constructor(
        address initialOwner,
        address initialTreasury,
        address[] memory initialOperators,
        address[] memory initialAllowedTargets,
        HostedMarket[] memory initialAllowedMarkets
    ) Ownable(_requireOwner(initialOwner)) {
        _setTreasury(initialTreasury);
        uint256 pinnedOperatorCount = initialOperators.length < PINNED_OPERATOR_CAPACITY
            ? initialOperators.length
            : PINNED_OPERATOR_CAPACITY;
        address[PINNED_OPERATOR_CAPACITY] memory pinnedOperators;
        for (uint256 i; i < pinnedOperatorCount; ++i) {
            pinnedOperators[i] = _requireOperatorAddress(initialOperators[i]);
            emit OperatorSet(pinnedOperators[i], true);
        }
        PINNED_OPERATOR_0 = pinnedOperators[0];
        PINNED_OPERATOR_1 = pinnedOperators[1];
        PINNED_OPERATOR_2 = pinnedOperators[2];
        PINNED_OPERATOR_3 = pinnedOperators[3];
        _pinnedOperatorsAllowed = uint8((1 << pinnedOperatorCount) - 1);
        for (uint256 i = pinnedOperatorCount; i < initialOperators.length; ++i) {
            _setOperator(initialOperators[i], true);
        }
        uint256 pinnedCount = initialAllowedTargets.length < PINNED_TARGET_CAPACITY
            ? initialAllowedTargets.length
            : PINNED_TARGET_CAPACITY;
        address[PINNED_TARGET_CAPACITY] memory pinned;
        for (uint256 i; i < pinnedCount; ++i) {
            pinned[i] = _requireTargetAddress(initialAllowedTargets[i]);
            emit AllowedTargetSet(pinned[i], true);
        }
        PINNED_TARGET_0 = pinned[0];
        PINNED_TARGET_1 = pinned[1];
        PINNED_TARGET_2 = pinned[2];
        PINNED_TARGET_3 = pinned[3];
        PINNED_TARGET_4 = pinned[4];
        PINNED_TARGET_5 = pinned[5];
        PINNED_TARGET_6 = pinned[6];
        PINNED_TARGET_7 = pinned[7];
        _pinnedTargetsAllowed = uint8((1 << pinnedCount) - 1);
        for (uint256 i = pinnedCount; i < initialAllowedTargets.length; ++i) {
            _setAllowedTarget(initialAllowedTargets[i], true);
        }
        for (uint256 i; i < initialAllowedMarkets.length; ++i) {
            _setAllowedMarket(initialAllowedMarkets[i], true);
        }
    }

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

    /// @inheritdoc IChimeraExecutor
    function pause() external {
        if (!isOperator(msg.sender) && msg.sender != owner()) revert CallerNotOwnerOrOperator(msg.sender);
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
    function setAllowedMarkets(HostedMarket[] calldata markets, bool allowed) external onlyOwner {
        for (uint256 i; i < markets.length; ++i) {
            _setAllowedMarket(markets[i], allowed);
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

    /// @dev `liquidationCall` with `receiveAToken = false`, then the swap. The pool may repay less than `debtToCover`
    ///      (close factor), so the unused approval is cleared; what it took is measured from the balance.
    function _liquidateAaveV3(
        Liquidation calldata liquidation,
        IERC20 collateral,
        IERC20 debt,
        bool fresh
    ) private returns (uint256 debtRepaid, uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought) {
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
        private
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
    ) private returns (uint256 debtRepaid, uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought) {
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
    ) private returns (uint256 debtRepaid, uint256 collateralSeized, uint256 collateralSold, uint256 debtTokenBought) {
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
        private
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

    function _morphoMarketParams(Liquidation calldata liquidation) private pure returns (MarketParams memory) {
        return
            MarketParams({
                loanToken: liquidation.debtToken,
                collateralToken: liquidation.collateralToken,
                oracle: liquidation.morpho.oracle,
                irm: liquidation.morpho.irm,
                lltv: liquidation.morpho.lltv
            });
    }

    /* SWAPS */

    /// @dev Sells `swap.amountIn` (0: all of `received`, what this plan received of `tokenIn`) of `tokenIn` for
    ///      `tokenOut` on an allowlisted router, with the route checked to start at `tokenIn` and end at `tokenOut`,
    ///      and the router's approval cleared after.
    /// @return amountIn What was sold.
    /// @return amountOut What the router returned.
    function _swap(
        Swap calldata swap,
        address tokenIn,
        address tokenOut,
        uint256 received
    ) private returns (uint256 amountIn, uint256 amountOut) {
        uint8 venue = swap.venue;
        if (venue == VENUE_NONE) return (0, 0);
        address router = swap.router;
        amountIn = swap.amountIn == 0 ? received : swap.amountIn;
        if (amountIn == 0) revert NothingToSell(tokenIn);
        IERC20(tokenIn).approveExact(router, amountIn);
        if (venue == VENUE_UNISWAP_V3) {
            _requirePackedRouteEnds(swap.route, tokenIn, tokenOut);
            amountOut = ISwapRouter02(router).exactInput(
                ISwapRouter02.ExactInputParams({
                    path: swap.route,
                    recipient: address(this),
                    amountIn: amountIn,
                    amountOutMinimum: swap.minAmountOut
                })
            );
        } else if (venue == VENUE_AERODROME) {
            AerodromeRoute[] memory routes = abi.decode(swap.route, (AerodromeRoute[]));
            (address routeIn, address routeOut) = SwapRoutes.aerodromeRouteEnds(routes);
            _requireRouteEnds(tokenIn, tokenOut, routeIn, routeOut);
            uint256[] memory amounts = IAerodromeRouter(router).swapExactTokensForTokens(
                amountIn,
                swap.minAmountOut,
                routes,
                address(this),
                block.timestamp
            );
            amountOut = amounts[amounts.length - 1];
        } else if (venue == VENUE_AERODROME_SLIPSTREAM) {
            _requirePackedRouteEnds(swap.route, tokenIn, tokenOut);
            // Slipstream wants a timestamp deadline; the plan's block deadline has already been enforced.
            amountOut = ISlipstreamSwapRouter(router).exactInput(
                ISlipstreamSwapRouter.ExactInputParams({
                    path: swap.route,
                    recipient: address(this),
                    deadline: block.timestamp,
                    amountIn: amountIn,
                    amountOutMinimum: swap.minAmountOut
                })
            );
        } else {
            revert UnknownSwapVenue(venue);
        }
        IERC20(tokenIn).clear(router);
    }

    function _requirePackedRouteEnds(bytes calldata route, address tokenIn, address tokenOut) private pure {
        (address routeIn, address routeOut) = SwapRoutes.packedPathEnds(route);
        _requireRouteEnds(tokenIn, tokenOut, routeIn, routeOut);
    }

    function _requireRouteEnds(address tokenIn, address tokenOut, address routeIn, address routeOut) private pure {
        if (routeIn != tokenIn || routeOut != tokenOut) revert SwapRouteMismatch(tokenIn, tokenOut, routeIn, routeOut);
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

    /* ADMINISTRATION */

    /// @dev Runs before Ownable's own check so a zero owner fails with the same field-naming error as the rest.
    function _requireOwner(address initialOwner) private pure returns (address) {
        if (initialOwner == address(0)) revert InvalidAddress("owner", initialOwner);
        return initialOwner;
    }

    /// @inheritdoc IChimeraExecutor
    function isAllowedTarget(address target) public view returns (bool) {
        uint256 pinnedMask = _pinnedTargetMask(target);
        if (pinnedMask != 0) return _pinnedTargetsAllowed & pinnedMask != 0;
        return _allowedTargets[target];
    }

    /// @inheritdoc IChimeraExecutor
    function isOperator(address account) public view returns (bool) {
        return _hasOperatorRole(account, _pinnedOperatorsAllowed);
    }

    /// @dev `isOperator` with the pinned operators' bits already read (`_enterPlan` reads them with the rest of their slot).
    function _hasOperatorRole(address account, uint256 pinnedOperatorsAllowed) private view returns (bool) {
        uint256 pinnedMask = _pinnedOperatorMask(account);
        if (pinnedMask != 0) return pinnedOperatorsAllowed & pinnedMask != 0;
        return _operators[account];
    }

    /// @dev Bit i set for every `PINNED_OPERATOR_<i>` equal to `account`. Branch-free (immutables cannot be read in
    ///      assembly, so they are copied to the stack first): every plan computes this mask.
    function _pinnedOperatorMask(address account) private view returns (uint256 mask) {
        (address p0, address p1) = (PINNED_OPERATOR_0, PINNED_OPERATOR_1);
        (address p2, address p3) = (PINNED_OPERATOR_2, PINNED_OPERATOR_3);
        assembly ("memory-safe") {
            mask := or(or(eq(account, p0), shl(1, eq(account, p1))), or(shl(2, eq(account, p2)), shl(3, eq(account, p3))))
        }
    }

    /// @dev `isAllowedTarget` with the pinned bits the plan's entry point already read (`_enterPlan`).
    function _requireAllowed(address target, uint256 pinned) private view {
        uint256 pinnedMask = _pinnedTargetMask(target);
        bool allowed = pinnedMask != 0 ? pinned & pinnedMask != 0 : _allowedTargets[target];
        if (!allowed) revert TargetNotAllowed(target);
    }

    /// @dev Bit i set for every `PINNED_TARGET_<i>` equal to `target` (a target listed twice is pinned twice).
    ///      Branch-free, like `_pinnedOperatorMask`: a plan computes this mask for every contract it names.
    function _pinnedTargetMask(address target) private view returns (uint256 mask) {
        (address p0, address p1, address p2, address p3) = (PINNED_TARGET_0, PINNED_TARGET_1, PINNED_TARGET_2, PINNED_TARGET_3);
        (address p4, address p5, address p6, address p7) = (PINNED_TARGET_4, PINNED_TARGET_5, PINNED_TARGET_6, PINNED_TARGET_7);
        assembly ("memory-safe") {
            mask := or(
                or(or(eq(target, p0), shl(1, eq(target, p1))), or(shl(2, eq(target, p2)), shl(3, eq(target, p3)))),
                or(or(shl(4, eq(target, p4)), shl(5, eq(target, p5))), or(shl(6, eq(target, p6)), shl(7, eq(target, p7))))
            )
        }
    }

    function _setOperator(address operator, bool allowed) private {
        _requireOperatorAddress(operator);
        uint256 pinnedMask = _pinnedOperatorMask(operator);
        if (pinnedMask != 0) {
            uint256 pinnedAllowed = _pinnedOperatorsAllowed;
            _pinnedOperatorsAllowed = uint8(allowed ? pinnedAllowed | pinnedMask : pinnedAllowed & ~pinnedMask);
        } else {
            _operators[operator] = allowed;
        }
        emit OperatorSet(operator, allowed);
    }

    function _requireOperatorAddress(address operator) private pure returns (address) {
        if (operator == address(0)) revert InvalidAddress("operator", operator);
        return operator;
    }

    function _setAllowedTarget(address target, bool allowed) private {
        _requireTargetAddress(target);
        uint256 pinnedMask = _pinnedTargetMask(target);
        if (pinnedMask != 0) {
            uint256 pinnedAllowed = _pinnedTargetsAllowed;
            _pinnedTargetsAllowed = uint8(allowed ? pinnedAllowed | pinnedMask : pinnedAllowed & ~pinnedMask);
        } else {
            _allowedTargets[target] = allowed;
        }
        emit AllowedTargetSet(target, allowed);
    }

    function _requireTargetAddress(address target) private view returns (address) {
        if (target == address(0) || target == address(this)) revert InvalidAddress("target", target);
        return target;
    }

    function _setAllowedMarket(HostedMarket memory market, bool allowed) private {
        if (market.host == address(0) || market.host == address(this)) revert InvalidAddress("host", market.host);
        if (market.marketId == bytes32(0)) revert InvalidMarketId(market.host, market.marketId);
        isAllowedMarket[market.host][market.marketId] = allowed;
        emit AllowedMarketSet(market.host, market.marketId, allowed);
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0) || newTreasury == address(this)) revert InvalidAddress("treasury", newTreasury);
        address previousTreasury = treasury;
        treasury = newTreasury;
        emit TreasurySet(previousTreasury, newTreasury);
    }
}
