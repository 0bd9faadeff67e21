// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IChimeraExecutor
/// @notice The external surface of Chimera's liquidation executor: the typed plans operators submit, the callbacks
///         flash lenders and Morpho Blue make, the owner's administration, and every custom error and event.
/// @dev Trust model. The OWNER (meant to be a Safe) is trusted: it chooses operators, the treasury and the allowlist
///      of every external contract the executor may call or approve. OPERATORS are hot keys: they may only submit
///      plans and pause. A plan cannot name a contract outside the allowlist, cannot send funds anywhere but the
///      treasury, and reverts unless the treasury gains at least `minProfit`; a stolen operator key can therefore
///      waste gas and pick bad prices within `minProfit`, but cannot take funds. Everyone else can only reach the
///      callbacks, which reject any call the executor's own in-flight plan does not expect.
interface IChimeraExecutor {
    /* TYPES */

    /// @notice Where the debt asset is borrowed for the duration of the transaction.
    /// @dev `None`: no loan; only sensible when every liquidation funds itself (Morpho Blue's liquidate callback).
    enum FlashSource {
        None,
        BalancerV2,
        MorphoBlue,
        AaveV3,
        UniswapV3
    }

    /// @notice The lending protocol family of one liquidation.
    enum ProtocolKind {
        AaveV3,
        MorphoBlue,
        CompoundV2
    }

    /// @notice Where seized collateral is sold for the debt asset.
    /// @dev `None` keeps the collateral (it is swept to the treasury at the end unless it is the profit token).
    enum SwapVenue {
        None,
        UniswapV3,
        Aerodrome,
        AerodromeSlipstream
    }

    /// @notice The flash loan funding a plan.
    /// @param source Which protocol lends.
    /// @param lender The Balancer Vault, Morpho Blue, Aave V3 pool or Uniswap V3 pool; must be allowlisted.
    /// @param token The borrowed token (normally every liquidation's debt token and the profit token).
    /// @param amount The borrowed amount: the sum the plan's liquidations repay.
    struct FlashLoan {
        FlashSource source;
        address lender;
        address token;
        uint256 amount;
    }

    /// @notice How one liquidation's collateral is sold.
    /// @param venue The router family; `None` skips the swap.
    /// @param router The router to call; must be allowlisted.
    /// @param amountIn Collateral to sell; 0 sells the executor's whole balance of the collateral token.
    /// @param minAmountOut The router reverts below this output.
    /// @param route Uniswap V3 / Slipstream: the packed path, collateral first, debt token last. Aerodrome:
    ///        `abi.encode(AerodromeRoute[])`, first `from` the collateral, last `to` the debt token.
    struct Swap {
        SwapVenue venue;
        address router;
        uint256 amountIn;
        uint256 minAmountOut;
        bytes route;
    }

    /// @notice The Morpho Blue specifics of a liquidation (zero for other protocols).
    /// @dev The market is `MarketParams(debtToken, collateralToken, oracle, irm, lltv)`. Exactly one of
    ///      `seizedAssets` and `repaidShares` is non-zero, as Morpho requires.
    struct MorphoTerms {
        address oracle;
        address irm;
        uint256 lltv;
        uint256 seizedAssets;
        uint256 repaidShares;
    }

    /// @notice One liquidation and the sale of its collateral.
    /// @param protocol The protocol family.
    /// @param market Aave V3: the pool. Morpho Blue: Morpho. Compound v2: the market (cToken/mToken) of the DEBT.
    ///        Must be allowlisted.
    /// @param borrower The position to liquidate.
    /// @param collateralToken The underlying token of the seized collateral.
    /// @param debtToken The underlying token repaid (Morpho: the loan token).
    /// @param debtToCover Aave V3: `debtToCover`. Compound v2: `repayAmount`. Morpho Blue: unused (see `morpho`).
    /// @param collateralMarket Compound v2: the market (cToken/mToken) of the collateral; must be allowlisted.
    ///        Zero for other protocols.
    /// @param morpho Morpho Blue terms; zero for other protocols.
    /// @param swap The collateral sale.
    struct Liquidation {
        ProtocolKind protocol;
        address market;
        address borrower;
        address collateralToken;
        address debtToken;
        uint256 debtToCover;
        address collateralMarket;
        MorphoTerms morpho;
        Swap swap;
    }

    /// @notice A single-liquidation plan.
    /// @param flash The flash loan (source `None` for a self-funded Morpho Blue liquidation).
    /// @param liquidation The liquidation.
    /// @param profitToken The token profit is measured and paid in (normally the debt token).
    /// @param minProfit The plan reverts unless the executor's `profitToken` balance grows by at least this.
    /// @param deadlineBlock The last block in which the plan may execute.
    struct Plan {
        FlashLoan flash;
        Liquidation liquidation;
        address profitToken;
        uint256 minProfit;
        uint256 deadlineBlock;
    }

    /// @notice Several liquidations under one flash loan, all or nothing. Fields as in {Plan}.
    struct BatchPlan {
        FlashLoan flash;
        Liquidation[] liquidations;
        address profitToken;
        uint256 minProfit;
        uint256 deadlineBlock;
    }

    /* ERRORS */

    /// @notice The plan's `deadlineBlock` is before the current block.
    error PlanExpired(uint256 deadlineBlock, uint256 currentBlock);

    /// @notice Only an operator may submit plans.
    error CallerNotOperator(address caller);

    /// @notice Only the owner or an operator may pause.
    error CallerNotOwnerOrOperator(address caller);

    /// @notice The executor is paused.
    error EnforcedPause();

    /// @notice `unpause` was called while not paused.
    error ExpectedPause();

    /// @notice The plan names a contract the owner has not allowlisted.
    error TargetNotAllowed(address target);

    /// @notice A callback arrived while no plan is executing (e.g. a third party's flash loan naming the executor).
    error CallbackOutsideExecution(address caller);

    /// @notice A callback arrived during an execution that is not waiting for that kind of callback.
    error UnexpectedCallback(address caller);

    /// @notice The awaited callback came from a contract other than the one the executor called.
    error UntrustedCallbackSender(address caller, address expected);

    /// @notice Aave's `executeOperation` reported a flash loan this executor did not start.
    error UntrustedFlashInitiator(address initiator);

    /// @notice After repaying the flash loan the profit token balance grew by `profit`, below `minProfit`.
    /// @dev `profit` is 0 when the plan consumed part of a balance the executor already held.
    error InsufficientProfit(uint256 profit, uint256 minProfit);

    /// @notice The swap route does not start at the collateral token or does not end at the debt token.
    error SwapRouteMismatch(address expectedTokenIn, address expectedTokenOut, address routeTokenIn, address routeTokenOut);

    /// @notice The Uniswap V3 pool chosen as flash source holds neither side of `token`.
    error FlashTokenNotInPool(address pool, address token);

    /// @notice A Compound-v2-family market returned a non-zero error code.
    error CompoundV2CallFailed(address market, uint256 errorCode);

    /// @notice A batch plan with no liquidation.
    error EmptyBatch();

    /// @notice An address argument is zero or otherwise unusable for `field`.
    error InvalidAddress(string field, address value);

    /// @notice Renouncing ownership would leave the executor without anyone able to unpause or rescue.
    error RenounceOwnershipDisabled();

    /* EVENTS */

    /// @notice One liquidation completed (emitted once per liquidation of a plan).
    /// @param borrower The liquidated position.
    /// @param collateralToken The seized collateral's underlying token.
    /// @param debtToken The repaid token.
    /// @param protocol The protocol family.
    /// @param market The pool / Morpho / debt market called.
    /// @param debtRepaid Debt token the protocol actually pulled.
    /// @param collateralSeized Collateral (underlying) the executor received.
    /// @param collateralSold Collateral sold on the swap venue (0 without a swap).
    /// @param debtTokenBought Debt token the swap returned (0 without a swap).
    event Liquidated(
        address indexed borrower,
        address indexed collateralToken,
        address indexed debtToken,
        ProtocolKind protocol,
        address market,
        uint256 debtRepaid,
        uint256 collateralSeized,
        uint256 collateralSold,
        uint256 debtTokenBought
    );

    /// @notice A plan completed and its profit was paid to the treasury.
    /// @param operator The operator who submitted it.
    /// @param profitToken The token profit was measured in.
    /// @param treasury Where the profit went.
    /// @param flashSource The flash source used.
    /// @param flashLender The lender (zero for `None`).
    /// @param flashAmount The amount borrowed.
    /// @param flashFee The fee paid to the lender.
    /// @param profit The profit token balance growth, all of it sent to the treasury.
    /// @param liquidationCount How many liquidations the plan executed.
    event PlanExecuted(
        address indexed operator,
        address indexed profitToken,
        address indexed treasury,
        FlashSource flashSource,
        address flashLender,
        uint256 flashAmount,
        uint256 flashFee,
        uint256 profit,
        uint256 liquidationCount
    );

    /// @notice A token other than the profit token was left over (unsold collateral, surplus debt token) and sent to
    ///         the treasury so the executor ends the transaction empty.
    event ResidualSwept(address indexed token, address indexed treasury, uint256 amount);

    event OperatorSet(address indexed operator, bool allowed);

    event AllowedTargetSet(address indexed target, bool allowed);

    event TreasurySet(address indexed previousTreasury, address indexed newTreasury);

    event Paused(address indexed account);

    event Unpaused(address indexed account);

    event TokensRescued(address indexed token, address indexed to, uint256 amount);

    /* OPERATOR FUNCTIONS */

    /// @notice Executes one liquidation funded by `plan.flash`, sells the collateral, repays the loan and pays the
    ///         profit to the treasury.
    /// @dev Reverts `PlanExpired` (checked first, before any storage read) once `block.number > deadlineBlock`.
    /// @dev Reverts `CallerNotOperator`, `EnforcedPause`, or `ReentrancyGuardReentrantCall` when re-entered.
    /// @dev Reverts `TargetNotAllowed` if the lender, market, collateral market or router is not allowlisted.
    /// @dev Reverts `InsufficientProfit(profit, minProfit)` when the profit token balance grew by less than
    ///      `minProfit`; any protocol or router revert (unhealthy position already liquidated, slippage) bubbles up.
    /// @dev Griefing: a competitor liquidating first makes the plan revert; only the operator's gas is lost.
    function liquidate(Plan calldata plan) external;

    /// @notice Executes several liquidations under one flash loan; all or nothing.
    /// @dev Same failure cases as {liquidate}, plus `EmptyBatch` for an empty list; one failing liquidation reverts
    ///      the whole batch.
    function liquidateBatch(BatchPlan calldata plan) external;

    /// @notice Stops every plan entry point.
    /// @dev Reverts `CallerNotOwnerOrOperator`, or `EnforcedPause` if already paused.
    function pause() external;

    /* ONLY OWNER FUNCTIONS */

    /// @notice Resumes plan execution.
    /// @dev Owner only (`OwnableUnauthorizedAccount`); reverts `ExpectedPause` if not paused.
    function unpause() external;

    /// @notice Grants or revokes the operator role.
    /// @dev Owner only; reverts `InvalidAddress("operator", 0)` for the zero address.
    function setOperator(address operator, bool allowed) external;

    /// @notice Adds or removes one contract from the allowlist of callable / approvable targets.
    /// @dev Owner only; reverts `InvalidAddress("target", ...)` for the zero address or the executor itself.
    function setAllowedTarget(address target, bool allowed) external;

    /// @notice {setAllowedTarget} for several targets (one Safe transaction).
    function setAllowedTargets(address[] calldata targets, bool allowed) external;

    /// @notice Changes where profit and residual tokens are paid.
    /// @dev Owner only; reverts `InvalidAddress("treasury", ...)` for the zero address or the executor itself.
    function setTreasury(address newTreasury) external;

    /// @notice Sends `amount` of `token` (0xEeee...EEeE for ETH) held by the executor to the owner.
    /// @dev Owner only; the destination is always the owner, never an argument. Reverts if the balance is short.
    function rescueTokens(address token, uint256 amount) external;

    /* CALLBACKS */

    /// @notice Balancer V2 Vault flash loan callback.
    /// @dev Reverts `CallbackOutsideExecution` / `UnexpectedCallback` / `UntrustedCallbackSender` unless the
    ///      executor's own in-flight plan borrowed from this exact Vault and is waiting for its callback.
    function receiveFlashLoan(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata feeAmounts,
        bytes calldata userData
    ) external;

    /// @notice Morpho Blue flash loan callback.
    /// @dev Authenticated as {receiveFlashLoan}.
    function onMorphoFlashLoan(uint256 assets, bytes calldata data) external;

    /// @notice Aave V3 `flashLoanSimple` callback.
    /// @dev Authenticated as {receiveFlashLoan}, and reverts `UntrustedFlashInitiator` unless the executor itself
    ///      started the loan (anyone may name any receiver in Aave).
    function executeOperation(
        address asset,
        uint256 amount,
        uint256 premium,
        address initiator,
        bytes calldata params
    ) external returns (bool);

    /// @notice Uniswap V3 pool `flash` callback.
    /// @dev Authenticated as {receiveFlashLoan}.
    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) external;

    /// @notice Morpho Blue liquidation callback: sells the just-seized collateral and approves the repayment.
    /// @dev Authenticated as {receiveFlashLoan}: accepted only from the Morpho instance a Morpho liquidation of the
    ///      in-flight plan is calling, once per liquidation.
    function onMorphoLiquidate(uint256 repaidAssets, bytes calldata data) external;

    /* VIEWS */

    /// @notice Where profit goes.
    function treasury() external view returns (address);

    /// @notice Whether plan execution is stopped.
    function paused() external view returns (bool);

    /// @notice Whether `account` may submit plans and pause.
    function isOperator(address account) external view returns (bool);

    /// @notice Whether the executor may call or approve `target`.
    function isAllowedTarget(address target) external view returns (bool);
}
