// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IChimeraExecutor
/// @notice The external surface of Chimera's liquidation executor: the typed plans operators submit, the callbacks
///         flash lenders and Morpho Blue make, the owner's administration, and every custom error and event.
/// @dev Trust model. The OWNER (meant to be a Safe) is trusted: it chooses the operators, the treasury, the contracts
///      plans may call or approve (`isAllowedTarget`: lenders, pools, mToken markets, Moonwell OEV wrappers, routers) and
///      the Morpho Blue markets plans may liquidate in (`isAllowedMarket`, by Morpho instance and market id: anyone can
///      create a Morpho market with any oracle, so allowlisting Morpho itself would let a plan name a market its author
///      controls).
///      OPERATORS are hot keys. A stolen operator key CAN:
///      - pause (only the owner unpauses), and spend the key's own ETH on gas and priority fees;
///      - choose among allowlisted lenders, markets, routers and routes, and set `minProfit` and `minAmountOut`: it can
///        therefore sell a liquidation's collateral badly and let the other side of the swap (a sandwich, or pools it
///        created behind an allowlisted router) keep that liquidation's surplus, the profit the plan would have made.
///      It CANNOT: end a plan with any token the plan names (flash, debt, collateral, collateral market, profit) below
///      the executor's balance of it at the plan's entry point, so no balance the executor held (a stray transfer, a
///      rescue not yet done) can pay for a loss, a fee or a detour; call or approve a contract, or liquidate in a Morpho
///      market, that the owner has not allowlisted (checked before the plan's first external call); pay the growth to
///      anyone but the treasury; leave an approval behind; unpause, change the roles, the treasury or the allowlists, or
///      rescue tokens. Tokens a plan does not name are never approved or transferred, so they cannot move either.
///      Everyone else can only reach the callbacks, which reject any call the executor's own in-flight plan does not
///      expect.
interface IChimeraExecutor {
    /* TYPES */

    /// @notice Where the debt asset is borrowed for the duration of the transaction (`FlashLoan.source`).
    /// @dev `None`: no loan; only sensible when every liquidation funds itself (Morpho Blue's liquidate callback).
    enum FlashSource {
        None,
        BalancerV2,
        MorphoBlue,
        AaveV3,
        UniswapV3
    }

    /// @notice The lending protocol family of one liquidation (`Liquidation.protocol`).
    /// @dev `MoonwellOev`: a Compound-v2-family liquidation made through the collateral feed's Moonwell OEV wrapper
    ///      (`updatePriceEarlyAndLiquidate`), which unlocks the fresh price in the same call. `MoonwellMorphoOev`: a Morpho
    ///      Blue liquidation made through Moonwell's Morpho-market OEV wrapper (`ChainlinkOEVMorphoWrapper`), the
    ///      `BASE_FEED_1` of the market's oracle.
    enum ProtocolKind {
        AaveV3,
        MorphoBlue,
        CompoundV2,
        MoonwellOev,
        MoonwellMorphoOev
    }

    /// @notice Where seized collateral is sold for the debt asset (`Swap.venue`).
    /// @dev `None` keeps the collateral (its growth is paid to the treasury at the end unless it is the profit token).
    enum SwapVenue {
        None,
        UniswapV3,
        Aerodrome,
        AerodromeSlipstream
    }

    // The plan structs carry the three kinds above as `uint8`, which is how the ABI encodes an enum anyway (same
    // selectors, same TypeChain types): the executor then checks the value itself and reverts `UnknownFlashSource`,
    // `UnknownProtocolKind` or `UnknownSwapVenue`, naming it, instead of the ABI decoder's reason-less revert.

    /// @notice The flash loan funding a plan.
    /// @param source A `FlashSource`.
    /// @param lender The Balancer Vault, Morpho Blue, Aave V3 pool or Uniswap V3 pool; must be an allowed target.
    /// @param token The borrowed token (normally every liquidation's debt token and the profit token).
    /// @param amount The borrowed amount: the sum the plan's liquidations repay. Whatever is not spent is repaid.
    struct FlashLoan {
        uint8 source;
        address lender;
        address token;
        uint256 amount;
    }

    /// @notice How one liquidation's collateral is sold.
    /// @param venue A `SwapVenue`; `None` skips the swap.
    /// @param router The router to call; must be an allowed target.
    /// @param amountIn Collateral to sell; 0 sells everything this plan has received of the collateral token so far
    ///        (the executor's balance above its entry-point snapshot, never what it held before).
    /// @param minAmountOut The router reverts below this output: the plan's expected output, which bounds any route.
    /// @param route Uniswap V3 / Slipstream: the packed path, collateral first, debt token last. Aerodrome:
    ///        `abi.encode(AerodromeRoute[])`, first `from` the collateral, last `to` the debt token.
    struct Swap {
        uint8 venue;
        address router;
        uint256 amountIn;
        uint256 minAmountOut;
        bytes route;
    }

    /// @notice The Morpho Blue specifics of a liquidation (zero for other protocols).
    /// @dev The market is `MarketParams(debtToken, collateralToken, oracle, irm, lltv)`; its id must be allowed on
    ///      `Liquidation.market` (`isAllowedMarket`). Exactly one of `seizedAssets` and `repaidShares` is non-zero, as
    ///      Morpho requires. Moonwell Morpho OEV: the same market fields; `seizedAssets` is the wrapper's argument and
    ///      `repaidShares` is unused (the wrapper always liquidates by seized assets).
    struct MorphoTerms {
        address oracle;
        address irm;
        uint256 lltv;
        uint256 seizedAssets;
        uint256 repaidShares;
    }

    /// @notice One liquidation and the sale of its collateral.
    /// @param protocol A `ProtocolKind`.
    /// @param market Aave V3: the pool. Compound v2 and Moonwell OEV: the market (cToken/mToken) of the DEBT. All must be
    ///        allowed targets. Morpho Blue and Moonwell Morpho OEV: the Morpho instance, on which the market id must be
    ///        allowed (`isAllowedMarket`); Moonwell Morpho OEV: the wrapper's `morphoBlue()` must be it.
    /// @param borrower The position to liquidate.
    /// @param collateralToken The underlying token of the seized collateral; must differ from `debtToken`.
    /// @param debtToken The underlying token repaid (Morpho: the loan token).
    /// @param debtToCover Aave V3: `debtToCover`. Compound v2: `repayAmount`. Moonwell Morpho OEV: `maxRepayAmount`,
    ///        the most the wrapper may pull (it refunds what Morpho did not take). Morpho Blue: unused (see `morpho`).
    /// @param collateralMarket Compound v2 and Moonwell OEV: the market (cToken/mToken) of the collateral, an allowed
    ///        target whose shares count as a token the plan touches. Zero for other protocols.
    /// @param oevWrapper Moonwell OEV and Moonwell Morpho OEV: the OEV wrapper of the collateral's price feed, the
    ///        contract the executor calls and approves (an allowed target). Ignored by other protocols (zero).
    /// @param morpho Morpho Blue and Moonwell Morpho OEV terms; zero for other protocols.
    /// @param swap The collateral sale.
    struct Liquidation {
        uint8 protocol;
        address market;
        address borrower;
        address collateralToken;
        address debtToken;
        uint256 debtToCover;
        address collateralMarket;
        address oevWrapper;
        MorphoTerms morpho;
        Swap swap;
    }

    /// @notice A single-liquidation plan.
    /// @param flash The flash loan (source `None` for a self-funded Morpho Blue liquidation).
    /// @param liquidation The liquidation.
    /// @param profitToken The token profit is measured and paid in (normally the debt token).
    /// @param minProfit The plan reverts unless the executor's `profitToken` balance ends at least this much above its
    ///        entry-point snapshot.
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

    /// @notice A market on a contract that hosts markets anyone can create (Morpho Blue), for the market allowlist.
    /// @param host The contract hosting the market (a Morpho Blue instance).
    /// @param marketId The host's id of the market (Morpho: `keccak256(abi.encode(MarketParams))`).
    struct HostedMarket {
        address host;
        bytes32 marketId;
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

    /// @notice The plan names a Morpho Blue market (by its id on `host`) the owner has not allowlisted.
    error MarketNotAllowed(address host, bytes32 marketId);

    /// @notice The plan's `FlashLoan.source` is not a `FlashSource`.
    error UnknownFlashSource(uint8 source);

    /// @notice A liquidation's `protocol` is not a `ProtocolKind`.
    error UnknownProtocolKind(uint8 protocol);

    /// @notice A swap's `venue` is not a `SwapVenue`.
    error UnknownSwapVenue(uint8 venue);

    /// @notice A liquidation names the same token as collateral and debt: seized and repaid amounts could not be told
    ///         apart by balances.
    error CollateralIsDebtToken(address token);

    /// @notice A swap would sell nothing: `amountIn` 0 ("sell all") and the plan has received none of `token` above
    ///         its entry-point snapshot (an earlier sale in the plan already spent that much).
    error NothingToSell(address token);

    /// @notice A callback arrived while no plan is executing (e.g. a third party's flash loan naming the executor).
    error CallbackOutsideExecution(address caller);

    /// @notice A callback arrived during an execution that is not waiting for that kind of callback.
    error UnexpectedCallback(address caller);

    /// @notice The awaited callback came from a contract other than the one the executor called.
    error UntrustedCallbackSender(address caller, address expected);

    /// @notice Aave's `executeOperation` reported a flash loan this executor did not start.
    error UntrustedFlashInitiator(address initiator);

    /// @notice A token the plan touches ended below the executor's balance of it at the plan's entry point.
    error BalanceBelowSnapshot(address token, uint256 snapshot, uint256 balance);

    /// @notice The profit token ended `profit` above its entry-point snapshot, below `minProfit`.
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

    /// @notice A market id of zero: no Morpho market has it (it is a placeholder left in a parameter file).
    error InvalidMarketId(address host, bytes32 marketId);

    /// @notice Renouncing ownership would leave the executor without anyone able to unpause or rescue.
    error RenounceOwnershipDisabled();

    /* EVENTS */

    /// @notice One liquidation completed (emitted once per liquidation of a plan).
    /// @dev Aave V3 and Compound v2 amounts are the executor's balance changes around the protocol call (Compound's
    ///      seized collateral after redeeming the seized shares); Morpho Blue's are what `liquidate` returns, which are
    ///      exactly what Morpho sends and pulls. In a single-liquidation plan whose collateral is not the flash token,
    ///      `collateralSeized` is measured from the plan's entry-point snapshot instead of a second read just before the
    ///      call: only the lender's call can have run in between, and it cannot lower the balance (the executor holds no
    ///      approval), so this is the same figure unless the lender itself sent collateral, which it then includes.
    /// @param borrower The liquidated position.
    /// @param collateralToken The seized collateral's underlying token.
    /// @param debtToken The repaid token.
    /// @dev The market called (pool, Morpho instance, debt mToken) is not repeated here: it is the plan's own, in the
    ///      transaction's calldata (`Liquidation.market`), and 256 gas a word on every liquidation.
    /// @param protocol The protocol family.
    /// @param debtRepaid Debt token that left the executor for the protocol.
    /// @param collateralSeized Collateral (underlying) the executor received.
    /// @param collateralSold Collateral sold on the swap venue (0 without a swap).
    /// @param debtTokenBought Debt token the swap returned (0 without a swap).
    event Liquidated(
        address indexed borrower,
        address indexed collateralToken,
        address indexed debtToken,
        ProtocolKind protocol,
        uint256 debtRepaid,
        uint256 collateralSeized,
        uint256 collateralSold,
        uint256 debtTokenBought
    );

    /// @notice A plan completed and its profit was paid to the treasury.
    /// @dev The flash source, lender and amount are not repeated here: they are the plan's own, in the transaction's
    ///      calldata (`plan.flash`), and 256 gas a word on every plan; nor is the number of liquidations, which is the
    ///      number of `Liquidated` events the executor emitted before it in the transaction (one each, all or nothing).
    ///      What only execution knows is logged.
    /// @param operator The operator who submitted it.
    /// @param profitToken The token profit was measured in.
    /// @param treasury Where the profit went.
    /// @param flashFee The fee paid to the lender (as the lender reported it).
    /// @param profit The profit token's growth over its entry-point snapshot, all of it sent to the treasury.
    event PlanExecuted(
        address indexed operator,
        address indexed profitToken,
        address indexed treasury,
        uint256 flashFee,
        uint256 profit
    );

    /// @notice A token other than the profit token ended the plan above its entry-point snapshot (unsold collateral,
    ///         surplus debt token), and the growth was paid to the treasury.
    /// @param token The token.
    /// @param treasury Where it went.
    /// @param amount The growth paid: the balance the executor held before the plan stays where it is.
    event ResidualSwept(address indexed token, address indexed treasury, uint256 amount);

    /// @notice The owner granted or revoked the operator role.
    /// @param operator The account.
    /// @param allowed Whether it may now submit plans and pause.
    event OperatorSet(address indexed operator, bool allowed);

    /// @notice The owner added a contract to, or removed it from, the targets plans may call or approve.
    /// @param target The contract.
    /// @param allowed Whether plans may now call and approve it.
    event AllowedTargetSet(address indexed target, bool allowed);

    /// @notice The owner added a Morpho Blue market to, or removed it from, the markets plans may liquidate in.
    /// @param host The Morpho Blue instance hosting the market.
    /// @param marketId The market's id on `host`.
    /// @param allowed Whether plans may now liquidate in it.
    event AllowedMarketSet(address indexed host, bytes32 indexed marketId, bool allowed);

    /// @notice The owner changed where profit and residues are paid (also emitted once at construction).
    /// @param previousTreasury The old treasury (zero at construction).
    /// @param newTreasury The new treasury.
    event TreasurySet(address indexed previousTreasury, address indexed newTreasury);

    /// @notice Plan execution stopped.
    /// @param account The owner or operator who paused.
    event Paused(address indexed account);

    /// @notice Plan execution resumed.
    /// @param account The owner.
    event Unpaused(address indexed account);

    /// @notice The owner took tokens (or ETH) out of the executor.
    /// @param token The token, or 0xEeee...EEeE for ETH.
    /// @param to The owner (the only possible destination).
    /// @param amount The amount sent.
    event TokensRescued(address indexed token, address indexed to, uint256 amount);

    /* OPERATOR FUNCTIONS */

    /// @notice Executes one liquidation funded by `plan.flash`, sells the collateral, repays the loan and pays
    ///         everything the plan gained to the treasury.
    /// @dev Order of checks: `PlanExpired` (before any storage read), `CallerNotOperator`, `EnforcedPause`,
    ///      `ReentrancyGuardReentrantCall`; then, before any external call, `TargetNotAllowed` for the lender, market,
    ///      collateral market or router, `MarketNotAllowed` for a Morpho market, `CollateralIsDebtToken`. At the end,
    ///      `BalanceBelowSnapshot(token, snapshot, balance)` when any token the plan names ended below its entry-point
    ///      balance, then `InsufficientProfit(profit, minProfit)`. Any protocol or router revert (position already
    ///      liquidated, slippage) bubbles up.
    /// @dev Griefing: a competitor liquidating first makes the plan revert; only the operator's gas is lost.
    function liquidate(Plan calldata plan) external;

    /// @notice Executes several liquidations under one flash loan; all or nothing.
    /// @dev Same failure cases as {liquidate}, plus `EmptyBatch` for an empty list; one failing liquidation reverts
    ///      the whole batch. The guard is on the whole plan: every token any liquidation names ends at least at its
    ///      entry-point snapshot.
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

    /// @notice Adds or removes Morpho Blue markets (by host and id) plans may liquidate in.
    /// @dev Owner only; reverts `InvalidAddress("host", ...)` for a zero host or the executor itself, and
    ///      `InvalidMarketId` for a zero id.
    function setAllowedMarkets(HostedMarket[] calldata markets, bool allowed) external;

    /// @notice Changes where profit and residual tokens are paid.
    /// @dev Owner only; reverts `InvalidAddress("treasury", ...)` for the zero address or the executor itself.
    function setTreasury(address newTreasury) external;

    /// @notice Sends `amount` of `token` (0xEeee...EEeE for ETH) held by the executor to the owner.
    /// @dev Owner only; the destination is always the owner, never an argument. Reverts if the balance is short.
    ///      Balances the executor held before a plan stay there after it: this is how they leave.
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

    /// @notice Whether plans may liquidate in market `marketId` of the Morpho Blue instance `host`.
    function isAllowedMarket(address host, bytes32 marketId) external view returns (bool);
}
