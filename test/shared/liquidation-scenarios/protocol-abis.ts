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
