/**
 * Deploys ChimeraExecutor with its owner, treasury, operators, target allowlist and Morpho market allowlist, all as
 * constructor arguments.
 *
 * Why constructor arguments and not follow-up calls: the owner is meant to be a Safe. Owner-only calls
 * (setOperator, setAllowedTarget...) sent after deployment would have to be signed by the Safe, not by the
 * deployer key running Ignition. Setting everything in the constructor means the deployer never holds any
 * role, the Safe owns a fully configured executor from its first block, and there is no window in which a
 * deployer-owned executor exists. Later changes go through the owner (tasks/ writes Safe batches for them).
 *
 * The contract itself refuses a zero owner or treasury (`InvalidAddress("owner" | "treasury", 0x0)`), so
 * the zero-address placeholders in ignition/parameters/base.json stop a deployment until they are replaced.
 *
 * Parameters (ignition/parameters/<network>.json, key "ChimeraExecutorModule"):
 *   owner      address    required; the Safe (or, on test chains, an EOA)
 *   treasury   address    required; receives every profit
 *   operators  address[]  keeper hot keys (may execute and pause); default none. The first four are pinned in the
 *              contract's code (revocable like any other; a plan's role check then reads no slot of its own)
 *   allowlist  address[]  flash lenders, pools, markets and routers plans may call; default none. The first eight are
 *              pinned in code the same way, so list the ones every plan names first: lenders, the Aave pool, routers
 *   markets    { host, marketId }[]  Morpho Blue markets plans may liquidate in: host is the Morpho instance,
 *              marketId Morpho's id (keccak256 of the MarketParams); default none. Anyone can create a Morpho
 *              market, so Morpho on `allowlist` lets plans borrow from it, never liquidate in a market not listed here.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** One entry of the `markets` parameter (IChimeraExecutor.HostedMarket). A type, not an interface: Ignition's parameter
 *  type is an index signature, which only object type aliases satisfy. */
export type HostedMarketParameter = { readonly host: string; readonly marketId: string };

const ChimeraExecutorModule = buildModule("ChimeraExecutorModule", (m) => {
  const owner = m.getParameter<string>("owner");
  const treasury = m.getParameter<string>("treasury");
  const operators = m.getParameter<string[]>("operators", []);
  const allowlist = m.getParameter<string[]>("allowlist", []);
  const markets = m.getParameter<HostedMarketParameter[]>("markets", []);

  const executor = m.contract("ChimeraExecutor", [owner, treasury, operators, allowlist, markets]);

  return { executor };
});

export default ChimeraExecutorModule;
