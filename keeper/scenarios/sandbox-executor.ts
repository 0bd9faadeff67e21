/**
 * Deploys ChimeraExecutor into the sandbox through the Ignition module that ships
 * (ignition/modules/ChimeraExecutorModule.ts), with the sandbox's roles: an owner standing in for the
 * Safe, a treasury, the keeper's signer as the one operator, every sandbox contract a plan may call on the
 * target allowlist (Aave pool, Balancer Vault, Morpho Blue, SwapRouter02, the Uniswap pools, Moonwell's mTokens and
 * OEV wrappers when the sandbox has them) and every sandbox
 * Morpho Blue market on the market allowlist.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import ChimeraExecutorModule, { type HostedMarketParameter } from "../../ignition/modules/ChimeraExecutorModule";
import type { Address } from "../config/address-book";
import { morphoMarketId, type Sandbox } from "../../sandbox";

export interface SandboxRoles {
  readonly owner: Address;
  readonly treasury: Address;
  readonly operator: Address;
}

/** Everything in the sandbox a plan may call or approve. */
export function sandboxExecutorAllowlist(sandbox: Sandbox): Address[] {
  const { book } = sandbox;
  const required: Record<string, Address | undefined> = {
    "aaveV3.pool": book.aaveV3?.pool,
    "flash.balancerVault": book.flash.balancerVault,
    "morphoBlue.morpho": book.morphoBlue?.morpho,
    "uniswapV3.swapRouter02": book.uniswapV3?.swapRouter02,
  };
  const missing = Object.entries(required)
    .filter(([, address]) => address === undefined)
    .map(([field]) => field);
  if (missing.length > 0) throw new Error(`the sandbox address book lacks ${missing.join(", ")}`);
  return [
    ...(Object.values(required) as Address[]),
    ...(Object.values(book.flash.uniswapV3Pools ?? {}) as Address[]),
    // Moonwell's mTokens and OEV wrappers, when the scenario added the market (sandbox/moonwell-oev-market.ts).
    ...(sandbox.moonwell?.targets ?? []),
  ];
}

/** Every sandbox Morpho Blue market, by id on the sandbox's Morpho: the markets the keeper tracks there. */
export function sandboxExecutorMarkets(sandbox: Sandbox): HostedMarketParameter[] {
  const morpho = sandbox.book.morphoBlue;
  if (morpho === undefined) throw new Error("the sandbox address book lacks morphoBlue");
  return morpho.markets.map((params) => ({ host: morpho.morpho, marketId: morphoMarketId(params) }));
}

export async function deploySandboxExecutor(hre: HardhatRuntimeEnvironment, sandbox: Sandbox, roles: SandboxRoles): Promise<Address> {
  const { executor } = await hre.ignition.deploy(ChimeraExecutorModule, {
    parameters: {
      ChimeraExecutorModule: {
        owner: roles.owner,
        treasury: roles.treasury,
        operators: [roles.operator],
        allowlist: sandboxExecutorAllowlist(sandbox),
        markets: sandboxExecutorMarkets(sandbox),
      },
    },
  });
  return (await executor.getAddress()) as Address;
}
