/**
 * The few protocol functions the scenarios call that have neither a TypeChain binding from contracts/interfaces nor a
 * genuine npm artifact (everything else comes from typechain-types). Each fragment is the protocol's real signature,
 * written from its source; the source is named next to it.
 */
import { Interface } from "ethers";

/**
 * Balancer V2 ProtocolFeesCollector (balancer-v2-monorepo pkg/vault/contracts/ProtocolFeesCollector.sol): the flash
 * loan fee the Vault charges is `amount.mulUp(getFlashLoanFeePercentage())` (FlashLoans.sol, 18-decimal percentage).
 */
export const BALANCER_FEES_COLLECTOR_ABI = new Interface(["function getFlashLoanFeePercentage() view returns (uint256)"]);

/**
 * Aerodrome Router (aerodrome-finance/contracts contracts/Router.sol): `getAmountsOut` prices a route exactly as
 * `swapExactTokensForTokens` executes it. The Aerodrome router double in contracts/test/ has the same function.
 */
export const AERODROME_ROUTER_QUOTE_ABI = new Interface([
  "function getAmountsOut(uint256 amountIn, (address from, address to, bool stable, address factory)[] routes) view returns (uint256[] amounts)",
]);

/**
 * Compound v2 CErc20 / Moonwell MErc20 (moonwell-contracts-v2 src/MErc20.sol, src/MToken.sol) functions a BORROWER
 * calls; Compound returns an error code (0 = success) instead of reverting for most refusals. The sandbox's
 * MoonwellMTokenDouble implements the same signatures.
 */
export const COMPOUND_V2_BORROWER_ABI = new Interface([
  "function mint(uint256 mintAmount) returns (uint256)",
  "function borrow(uint256 borrowAmount) returns (uint256)",
  "function borrowBalanceStored(address account) view returns (uint256)",
  "function exchangeRateStored() view returns (uint256)",
  "function balanceOf(address owner) view returns (uint256)",
  "function underlying() view returns (address)",
]);

/**
 * Compound v2 / Moonwell Comptroller (moonwell-contracts-v2 src/Comptroller.sol, src/ComptrollerStorage.sol) reads
 * the scenario makes. `markets` returns (isListed, collateralFactorMantissa) on Moonwell and on the sandbox's
 * MoonwellComptrollerDouble alike.
 */
export const COMPOUND_V2_COMPTROLLER_ABI = new Interface([
  "function markets(address mToken) view returns (bool isListed, uint256 collateralFactorMantissa)",
  "function getAccountLiquidity(address account) view returns (uint256 errorCode, uint256 liquidity, uint256 shortfall)",
  "function closeFactorMantissa() view returns (uint256)",
]);
