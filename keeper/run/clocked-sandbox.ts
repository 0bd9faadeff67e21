/**
 * The sandbox as a race track: the chain on its own 200 ms clock served over HTTP and WebSocket
 * (sandbox/clock/), price steps injected at random moments inside a block (ClockedMarketHandle), an optional rival
 * liquidator with its own key (sandbox/rival/), and the keeper as a separate process connected by URL with
 * eth_subscribe (keeper-process.ts). `npx hardhat keeper`, the end-to-end race test and the reaction benchmark all
 * stand on this; nothing in it waits for the keeper.
 */
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildSandbox, type OpenedBorrower, type Sandbox } from "../../sandbox";
import { writeSandboxAddressBook } from "../../sandbox/address-book-file";
import { createClockedRuntime, isClockedRuntime, startClockedNode, type ClockedNode } from "../../sandbox/clock";
import { RivalLiquidator, type RivalReaction } from "../../sandbox/rival";
import { seededRandom } from "../../sandbox/random";
import type { Address } from "../config/address-book";
import { ClockedMarketHandle } from "../scenarios/clocked-market-handle";
import { deploySandboxExecutor } from "../scenarios/sandbox-executor";
import { SandboxMarketHandle } from "../scenarios/sandbox-market-handle";
import { chainLiquidations, type ChainLiquidation } from "./chain-liquidations";
import { hardhatAccountWallet } from "./hardhat-accounts";
import { KeeperProcess } from "./keeper-process";

/** Hardhat accounts: 0 deploys the sandbox, 1 owns the executor, 2 is the keeper's operator, 3 the treasury, 5 the rival. */
export const SANDBOX_ACCOUNTS = { owner: 1, operator: 2, treasury: 3, rival: 5 } as const;

/** The variables the keeper's config names for the node's URLs. */
const HTTP_URL_VARIABLE = "CHIMERA_NODE_HTTP_URL";
const WS_URL_VARIABLE = "CHIMERA_NODE_WS_URL";

export interface ClockedSandboxOptions {
  /** The runtime; unless it is already a clocked one (createClockedRuntime), the track opens its own clocked chain. */
  readonly hre: HardhatRuntimeEnvironment;
  /** Opens the positions (before the clock starts); returns them (the rival watches the Aave ones). */
  readonly populate: (sandbox: Sandbox) => Promise<readonly OpenedBorrower[]>;
  /** Where the keeper's config, address book and (unless `journalPath` says otherwise) journal go. */
  readonly directory: string;
  /** The keeper's journal file; default journal.sqlite in `directory`. */
  readonly journalPath?: string;
  readonly metricsPort: number;
  /** Draws the moments price steps arrive inside a block. */
  readonly seed: number;
  /** The rival's starting reaction; null: watching, never sending. */
  readonly rival: RivalReaction | null;
  /** Merged over the keeper's config file (a mode, limits...). */
  readonly keeperConfig?: Readonly<Record<string, unknown>>;
  /** Each line the keeper process prints. */
  readonly onKeeperLine?: (line: string) => void;
  readonly blockTimeMs?: number;
  /** Reuse an already built sandbox (on `hre`, which must then be a clocked runtime, at the state right after buildSandbox). */
  readonly sandbox?: Sandbox;
  /** Told once the chain's clock runs, before the keeper starts. */
  readonly onStarted?: (node: ClockedNode) => void;
  /** The WebSocket URL the keeper is given, from the node's (a test puts a proxy in between to cut it). */
  readonly subscriptionUrl?: (nodeWsUrl: string) => Promise<string> | string;
}

export interface ClockedSandbox {
  /** The clocked chain's runtime: read the race's chain through it (hre.ethers.provider), not the caller's. */
  readonly hre: HardhatRuntimeEnvironment;
  readonly sandbox: Sandbox;
  readonly executor: Address;
  readonly operator: Address;
  readonly borrowers: readonly OpenedBorrower[];
  readonly node: ClockedNode;
  readonly handle: ClockedMarketHandle;
  readonly rival: RivalLiquidator;
  readonly keeper: KeeperProcess;
  readonly journalPath: string;
  /** Liquidations on chain from `fromBlock` on, labelled by who sent them. */
  liquidations(fromBlock: number): Promise<(ChainLiquidation & { by: "keeper" | "rival" | "other" })[]>;
  /** Stops the keeper (SIGINT: it writes its run report), the rival and the clock. */
  close(): Promise<Awaited<ReturnType<KeeperProcess["stop"]>>>;
}

export async function openClockedSandbox(options: ClockedSandboxOptions): Promise<ClockedSandbox> {
  if (options.sandbox !== undefined && !isClockedRuntime(options.hre))
    throw new Error("openClockedSandbox: a sandbox to reuse must be built on the clocked runtime it is passed with");
  const hre = isClockedRuntime(options.hre) ? options.hre : await createClockedRuntime(options.hre);
  const sandbox = options.sandbox ?? (await buildSandbox(hre));
  const signers = await hre.ethers.getSigners();
  const operatorWallet = hardhatAccountWallet(hre, SANDBOX_ACCOUNTS.operator);
  const executor = await deploySandboxExecutor(hre, sandbox, {
    owner: signers[SANDBOX_ACCOUNTS.owner]!.address as Address,
    treasury: signers[SANDBOX_ACCOUNTS.treasury]!.address as Address,
    operator: operatorWallet.address as Address,
  });
  const borrowers = await options.populate(sandbox);
  const market = new SandboxMarketHandle(hre, sandbox);
  await market.prepareMarketMaker();

  const node = await startClockedNode(hre, { blockTimeMs: options.blockTimeMs });
  options.onStarted?.(node);
  let rival: RivalLiquidator | null = null;
  let keeper: KeeperProcess | null = null;
  try {
    rival = await RivalLiquidator.start({
      hre,
      sandbox,
      clock: node.clock,
      wallet: hardhatAccountWallet(hre, SANDBOX_ACCOUNTS.rival),
      borrowers,
      reaction: options.rival,
    });
    fs.mkdirSync(options.directory, { recursive: true });
    const bookFile = path.join(options.directory, "address-book.json");
    writeSandboxAddressBook(bookFile, sandbox.book);
    const configFile = path.join(options.directory, "keeper.json");
    fs.writeFileSync(configFile, JSON.stringify(keeperConfigFor(executor, options.keeperConfig ?? {}), null, 2));
    const journalPath = options.journalPath ?? path.join(options.directory, "journal.sqlite");
    keeper = KeeperProcess.start({
      root: hre.config.paths.root,
      configFile,
      addressBookFile: bookFile,
      journalPath,
      metricsPort: options.metricsPort,
      // The operator is Hardhat's well-known account #2: a sandbox key, never a real one.
      env: {
        KEEPER_PRIVATE_KEY: operatorWallet.privateKey,
        [HTTP_URL_VARIABLE]: node.httpUrl,
        [WS_URL_VARIABLE]: (await options.subscriptionUrl?.(node.wsUrl)) ?? node.wsUrl,
      },
      onLine: options.onKeeperLine,
    });
    await keeper.waitStarted();
    const random = seededRandom(options.seed);
    const handle = new ClockedMarketHandle(market, node.clock, () => random.next());
    const aavePool = (await sandbox.aave.pool.getAddress()).toLowerCase() as Address;
    const morpho = (await sandbox.morpho.morpho.getAddress()).toLowerCase() as Address;
    const running = { keeper, rival };
    return {
      hre,
      sandbox,
      executor,
      operator: operatorWallet.address as Address,
      borrowers,
      node,
      handle,
      rival,
      keeper,
      journalPath,
      liquidations: async (fromBlock) =>
        (await chainLiquidations(hre.ethers.provider, { aavePool, morpho }, fromBlock)).map((liquidation) => ({
          ...liquidation,
          by:
            liquidation.liquidator === executor.toLowerCase()
              ? "keeper"
              : liquidation.liquidator === running.rival.address.toLowerCase()
                ? "rival"
                : "other",
        })),
      close: async () => {
        try {
          return await running.keeper.stop();
        } finally {
          await running.rival.stop();
          await node.close();
        }
      },
    };
  } catch (error) {
    await keeper?.stop(10_000).catch(() => undefined);
    await rival?.stop();
    await node.close();
    throw error;
  }
}

/** The keeper's config for the clocked node: LIVE, reads and sends over HTTP, heads and oracle logs by subscription. */
function keeperConfigFor(executor: Address, overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return {
    network: "localhost",
    mode: "LIVE",
    executor,
    oracleUpdates: "logs",
    rpc: {
      read: [{ name: "node", urlEnv: HTTP_URL_VARIABLE }],
      send: [{ name: "node", urlEnv: HTTP_URL_VARIABLE }],
      subscribe: [{ name: "node-ws", urlEnv: WS_URL_VARIABLE }],
      maxHeadLagMs: 400,
      requestTimeoutMs: 5_000,
    },
    // The clock never stops: fifteen blocks without a head means something is wrong.
    breaker: { staleHead: { maxSeconds: 3, severity: "THROTTLED" } },
    ...overrides,
  };
}
