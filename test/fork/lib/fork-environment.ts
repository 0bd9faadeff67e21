/**
 * The Base fork as a ScenarioEnvironment, built once per run and reused through loadFixture snapshots by every fork
 * suite:
 * - ChimeraExecutor deployed by the Ignition module that ships, with ignition/parameters/base.json's allowlist and
 *   operators; only the owner and treasury (zero placeholders there) are test accounts, and one test operator is added;
 * - tokens are given by writing their balance slots (token-balances.ts);
 * - Aave's oracle admin is found in the ACLManager and impersonated (aave-oracle-admin.ts), and lifts any Aave cap
 *   the scenarios' fresh positions would run into (aave-caps.ts).
 * Protocol-specific handles (Moonwell, Morpho markets) are built by the suites that need them.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { isAddress, isHexString } from "ethers";
import ChimeraExecutorModule, { type HostedMarketParameter } from "../../../ignition/modules/ChimeraExecutorModule";
import { ChimeraExecutor__factory } from "../../../typechain-types";
import type { Address } from "../../../keeper/config/address-book";
import { BASE_ADDRESS_BOOK } from "../../../keeper/config/networks";
import type { AaveScenarioMarket, ScenarioEnvironment } from "../../shared/liquidation-scenarios/environment";
import { ensureAaveCapHeadroom } from "./aave-caps";
import { resolveAaveOracleAdmin } from "./aave-oracle-admin";
import { plainFundedAccounts } from "./fork-accounts";
import { addTokenBalance } from "./token-balances";
import { BASE_FORK_BLOCK } from "../pinned-block";

const BASE_PARAMETERS_FILE = path.join(__dirname, "..", "..", "..", "ignition", "parameters", "base.json");

export interface BaseModuleParameters {
  readonly operators: readonly Address[];
  readonly allowlist: readonly Address[];
  readonly markets: readonly HostedMarketParameter[];
}

/** ignition/parameters/base.json's operators, allowlist and markets, validated (owner and treasury are replaced by the fork). */
export function readBaseModuleParameters(file = BASE_PARAMETERS_FILE): BaseModuleParameters {
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { ChimeraExecutorModule?: Record<string, unknown> };
  const module = parsed.ChimeraExecutorModule;
  if (module === undefined) throw new Error(`${file} has no "ChimeraExecutorModule" parameters`);
  const addresses = (field: string): Address[] => {
    const value = module[field] ?? [];
    if (!Array.isArray(value) || !value.every((a) => typeof a === "string" && isAddress(a))) {
      throw new Error(`${file}: ChimeraExecutorModule.${field} must be an array of addresses, got ${JSON.stringify(value)}`);
    }
    return value as Address[];
  };
  const allowlist = addresses("allowlist");
  if (allowlist.length === 0) throw new Error(`${file}: ChimeraExecutorModule.allowlist is empty; the executor could call nothing`);
  const markets = module.markets ?? [];
  const isMarket = (m: unknown): m is HostedMarketParameter =>
    typeof m === "object" &&
    m !== null &&
    isAddress((m as HostedMarketParameter).host) &&
    isHexString((m as HostedMarketParameter).marketId, 32);
  if (!Array.isArray(markets) || !markets.every(isMarket)) {
    throw new Error(`${file}: ChimeraExecutorModule.markets must be an array of { host, marketId }, got ${JSON.stringify(markets)}`);
  }
  return { operators: addresses("operators"), allowlist, markets };
}

export interface ForkWorld {
  readonly env: ScenarioEnvironment;
  readonly aave: AaveScenarioMarket;
  /** How the Aave oracle admin was obtained (logged once by the suites). */
  readonly aaveAdminHow: string;
  readonly blockNumber: number;
}

/** Use with loadFixture: `const world = await loadFixture(forkWorldFixture)`. */
export async function forkWorldFixture(): Promise<ForkWorld> {
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  if (chainId !== 8453) throw new Error(`the fork reports chain id ${chainId}, expected Base (8453)`);
  const head = await hre.ethers.provider.getBlockNumber();
  if (head < BASE_FORK_BLOCK) throw new Error(`the fork's head ${head} is below the pinned block ${BASE_FORK_BLOCK}`);

  const [deployer, owner, operator, treasury] = await hre.ethers.getSigners();
  await plainFundedAccounts([deployer, owner, operator, treasury]);
  const base = readBaseModuleParameters();
  const { executor } = await hre.ignition.deploy(ChimeraExecutorModule, {
    parameters: {
      ChimeraExecutorModule: {
        owner: owner.address,
        treasury: treasury.address,
        operators: [...base.operators, operator.address],
        allowlist: [...base.allowlist],
        markets: [...base.markets],
      },
    },
  });
  const book = BASE_ADDRESS_BOOK;
  const aaveConfig = book.aaveV3;
  if (aaveConfig === undefined) throw new Error("BASE_ADDRESS_BOOK has no aaveV3 entry");
  const admin = await resolveAaveOracleAdmin(aaveConfig);
  // The fork scenarios supply at most a few dozen WETH and a fraction of a cbBTC and borrow well under $1M of USDC.
  const { WETH, cbBTC, USDC } = book.tokens;
  await ensureAaveCapHeadroom(aaveConfig, admin.signer, [
    { asset: WETH.address, symbol: "WETH", supply: 100n },
    { asset: cbBTC.address, symbol: "cbBTC", supply: 5n },
    { asset: USDC.address, symbol: "USDC", borrow: 1_000_000n },
  ]);

  const env: ScenarioEnvironment = {
    label: "base-fork",
    book,
    executor: ChimeraExecutor__factory.connect(await executor.getAddress(), operator),
    owner,
    treasury: treasury.address as Address,
    fund: (token, to, amount) => addTokenBalance(token, to, amount),
    extraHoldings: { tokens: Object.values(book.moonwell?.markets ?? {}), spenders: [...base.allowlist] },
  };
  return {
    env,
    aave: { config: aaveConfig, oracleAdmin: admin.signer },
    aaveAdminHow: admin.how,
    blockNumber: await hre.ethers.provider.getBlockNumber(),
  };
}
