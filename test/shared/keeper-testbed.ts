/**
 * The set-up every test and benchmark that runs `npx hardhat keeper` as real processes shares: the sandbox
 * on the in-process chain, a ChimeraExecutor with the standard roles (keeper-harness.ts: operator = account 2), Aave borrowers opened at
 * chosen health factors (WETH collateral, USDC debt, $10k each), the chain served over HTTP, and the keeper's
 * config and address book written to a temporary directory. `startKeeper` starts a keeper process
 * (test/shared/keeper-process.ts) on it; `close` kills every keeper it started and puts the chain back.
 *
 * One place for it, so the e2e tests (failover, restart safety) and bench/failover.ts cannot drift apart: a
 * keeper config field renamed in the schema is renamed here once.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Wallet } from "ethers";
import type { Sandbox } from "../../sandbox";
import type { OpenedBorrower } from "../../sandbox/borrowers";
import type { Address } from "../../keeper/config/address-book";
import type { SandboxMarketHandle } from "../../keeper/scenarios/sandbox-market-handle";
import { KeeperProcess, freePort } from "./keeper-process";
import { snapshotChain, startLocalNode, type LocalNode } from "./local-node";

export interface KeeperTestbedOptions {
  /** One borrower per entry, in order: its seed (which account) and its exact health factor. */
  readonly borrowers: readonly { readonly seed: number; readonly healthFactor: number }[];
  /** Fields the keeper config gets beside the testbed's own (rpc, executor, markets), e.g. `journal.lease`. */
  readonly keeperConfig?: Record<string, unknown>;
  /** The RPC URL the keepers are given, from the node's (default: the node's own). */
  readonly rpcUrl?: (nodeUrl: string) => string;
  /** Prefix of the temporary directory. */
  readonly label: string;
}

export interface StartKeeperOptions {
  /** Where the journal is: a file path or a postgres:// URL. */
  readonly journal: string;
  /** Arguments after the testbed's own (`--once`, `--blocks 1`). */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Default: a free port. */
  readonly metricsPort?: number;
}

export class KeeperTestbed {
  /** Every keeper started here, in order. */
  readonly keepers: KeeperProcess[] = [];

  private constructor(
    private readonly hre: HardhatRuntimeEnvironment,
    readonly sandbox: Sandbox,
    readonly handle: SandboxMarketHandle,
    readonly executor: Address,
    readonly operator: Wallet,
    readonly borrowers: readonly OpenedBorrower[],
    readonly initialWethUsd: number,
    readonly node: LocalNode,
    readonly rpcUrl: string,
    readonly directory: string,
    readonly configFile: string,
    readonly bookFile: string,
    private readonly restore: () => Promise<void>,
  ) {}

  static async open(hre: HardhatRuntimeEnvironment, options: KeeperTestbedOptions): Promise<KeeperTestbed> {
    // Imported here: they load the TypeChain bindings, which hardhat.config.ts must never reach at load.
    const { buildSandbox } = await import("../../sandbox");
    const { openAaveBorrowers } = await import("../../sandbox/borrowers");
    const { writeSandboxAddressBook } = await import("../../sandbox/address-book-file");
    const { SandboxMarketHandle } = await import("../../keeper/scenarios/sandbox-market-handle");
    const { deployKeeperExecutor } = await import("./keeper-harness");

    const restore = await snapshotChain(hre);
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), `chimera-${options.label}-`));
    const sandbox = await buildSandbox(hre);
    const { operator, executor } = await deployKeeperExecutor(hre, sandbox);
    const borrowers: OpenedBorrower[] = [];
    for (const { seed, healthFactor } of options.borrowers) {
      const [borrower] = await openAaveBorrowers(hre, sandbox, {
        count: 1,
        seed,
        collateral: "WETH",
        debt: "USDC",
        healthFactor: { min: healthFactor, max: healthFactor },
        debtUsd: { min: 10_000, max: 10_000 },
      });
      borrowers.push(borrower!);
    }
    const handle = new SandboxMarketHandle(hre, sandbox);
    await handle.prepare();
    const initialWethUsd = await handle.priceOf("WETH");
    const node = await startLocalNode(hre);
    const bookFile = path.join(directory, "address-book.json");
    writeSandboxAddressBook(bookFile, sandbox.book);
    const configFile = path.join(directory, "keeper.json");
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        network: "localhost",
        mode: "LIVE",
        rpc: {
          read: [{ name: "local-read", urlEnv: "CHIMERA_TEST_RPC_URL" }],
          send: [{ name: "local-send", urlEnv: "CHIMERA_TEST_RPC_URL" }],
          maxHeadLagMs: 400,
          requestTimeoutMs: 10_000,
        },
        executor,
        markets: { morphoBlue: { enabled: false, batchSize: 250 } },
        ...options.keeperConfig,
      }),
    );
    const rpcUrl = options.rpcUrl?.(node.url) ?? node.url;
    return new KeeperTestbed(
      hre,
      sandbox,
      handle,
      executor,
      operator,
      borrowers,
      initialWethUsd,
      node,
      rpcUrl,
      directory,
      configFile,
      bookFile,
      restore,
    );
  }

  /** Starts `npx hardhat keeper --network localhost` on the testbed's config, book and key. */
  async startKeeper(options: StartKeeperOptions): Promise<KeeperProcess> {
    const keeper = KeeperProcess.start({
      root: this.hre.config.paths.root,
      args: [
        "keeper",
        "--network",
        "localhost",
        "--keeper-config",
        this.configFile,
        "--address-book",
        this.bookFile,
        "--journal",
        options.journal,
        ...(options.args ?? []),
      ],
      env: { KEEPER_PRIVATE_KEY: this.operator.privateKey, CHIMERA_TEST_RPC_URL: this.rpcUrl, ...options.env },
      metricsPort: options.metricsPort ?? (await freePort()),
    });
    this.keepers.push(keeper);
    return keeper;
  }

  /** How many times the executor liquidated `borrower` from `fromBlock` on. */
  async liquidationsOf(borrower: string, fromBlock = 0): Promise<number> {
    const { ChimeraExecutor__factory } = await import("../../typechain-types");
    const executorInterface = ChimeraExecutor__factory.createInterface();
    const logs = await this.hre.ethers.provider.getLogs({
      address: this.executor,
      topics: [executorInterface.getEvent("Liquidated").topicHash],
      fromBlock,
      toBlock: "latest",
    });
    return logs.filter((log) => executorInterface.parseLog(log)!.args.borrower.toLowerCase() === borrower.toLowerCase()).length;
  }

  /** Kills every keeper started here, stops serving the chain and puts it back as it was before `open`. */
  async close(): Promise<void> {
    for (const keeper of this.keepers) await keeper.kill();
    await this.node.close();
    await this.hre.network.provider.send("evm_setIntervalMining", [0]).catch(() => undefined);
    await this.handle.release();
    await this.restore();
    fs.rmSync(this.directory, { recursive: true, force: true });
  }
}
