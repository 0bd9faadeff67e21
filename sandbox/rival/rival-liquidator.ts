/**
 * A competing liquidator for the clock-driven sandbox: its own key, its own inventory of debt tokens, and the
 * plainest strategy there is — watch the same oracle updates (AnswerUpdated logs of the sandbox feeds, seen the
 * moment the clock mines the block that carries them), work out which watched Aave positions went under, wait its
 * reaction delay, then send `Pool.liquidationCall(collateral, debt, user, type(uint256).max, false)` with its own
 * priority fee. Aave caps the repayment at the close factor, so "all you can" is one call.
 *
 * It funds liquidations from inventory instead of a flash loan: the race is decided by when a transaction arrives
 * and what it bids (Base orders a block by priority fee, ties by arrival), not by where the money comes from, and
 * an inventory bot is the fastest kind. The delay stands for everything a rival spends between the block and its
 * send (its node, its decision, its network); it is measured from the moment the block is mined here.
 *
 * It reads nothing from the node during a race, as a fast bot with its own node would not load the sequencer: the
 * oracle's logs and the pool's come by in-process `eth_subscribe`, its positions' health is carried forward in memory
 * from the feed answers (health-book.ts), and a position is read again only when a pool log names it (after a
 * liquidation). Its reads for block N used to run on the node the keeper shares at the very moment the keeper's
 * transaction arrived, slowing the keeper's send by the rival's own work.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Interface, MaxUint256, Wallet, parseUnits } from "ethers";
import type { Sandbox } from "../sandbox-types";
import type { OpenedBorrower } from "../borrowers";
import { ensureEth, mintTo, tokenBySymbol } from "../token-supply";
import type { ChainClock, MinedBlock } from "../clock/chain-clock";
import type { SubscribableProvider } from "../clock/clocked-provider";
import { HealthBook } from "./health-book";
import type { Address } from "../../keeper/config/address-book";

export interface RivalReaction {
  /** From the block carrying the price update being mined to the rival's send. */
  readonly delayMs: number;
  /** Its bid, per gas. */
  readonly priorityFeeGwei: number;
}

export interface RivalAttempt {
  readonly borrower: Address;
  readonly txHash: string;
  /** The block whose price update the rival reacted to (block N of the race). */
  readonly priceBlock: number;
  readonly sentAtMs: number;
  readonly reaction: RivalReaction;
}

export interface RivalLiquidatorOptions {
  readonly hre: HardhatRuntimeEnvironment;
  readonly sandbox: Sandbox;
  readonly clock: ChainClock;
  /** The rival's key (a Hardhat account the keeper does not use). */
  readonly wallet: Wallet;
  /** The Aave positions it watches (Morpho ones are ignored). */
  readonly borrowers: readonly OpenedBorrower[];
  /** null: watching, never sending. */
  readonly reaction: RivalReaction | null;
  /** Debt-token inventory per symbol, raw units. Default: enough to repay every watched debt twice over. */
  readonly inventory?: Readonly<Record<string, bigint>>;
  /** The chain it talks to; default hre.network.provider (the in-process chain, no transport). */
  readonly provider?: SubscribableProvider;
}

/**
 * Positions read per Multicall3 eth_call: one getUserAccountData costs tens of thousands of gas, so batches keep each
 * call well under the node's gas cap however many positions the rival watches (the benchmark watches ~600).
 */
const RIVAL_READ_BATCH = 100;
const ANSWER_UPDATED_TOPIC = new Interface([
  "event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)",
]).getEvent("AnswerUpdated")!.topicHash;
const feedInterface = new Interface(["function latestAnswer() view returns (int256)"]);
const poolInterface = new Interface([
  "function getUserAccountData(address user) view returns (uint256 totalCollateralBase, uint256 totalDebtBase, uint256 availableBorrowsBase, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)",
  "function liquidationCall(address collateralAsset, address debtAsset, address user, uint256 debtToCover, bool receiveAToken)",
]);
const multicallInterface = new Interface([
  "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)",
]);
/** A v3.0 liquidation with a Uniswap-free inventory repay uses ~300k gas; 1M leaves room for cold storage. */
const LIQUIDATION_GAS = 1_000_000n;

interface RpcLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly blockNumber: string;
}

export class RivalLiquidator {
  readonly address: Address;
  readonly attempts: RivalAttempt[] = [];
  readonly #options: RivalLiquidatorOptions;
  readonly #provider: SubscribableProvider;
  readonly #watched: readonly OpenedBorrower[];
  /** Borrower (lower case) → the watched position. */
  readonly #watchedByAddress: ReadonlyMap<string, OpenedBorrower>;
  readonly #feeds: readonly { symbol: string; address: string }[];
  /** Feed address (lower case) → the token symbol it prices. */
  readonly #symbolOfFeed: ReadonlyMap<string, string>;
  readonly #book = new HealthBook();
  #reaction: RivalReaction | null;
  #nonce = 0;
  /** Borrower → its last transaction, not yet mined: no second shot at a position while one is on the wire. */
  readonly #pending = new Map<string, string>();
  /** Block number → the symbols whose feeds its logs moved, until the rival has reacted to the block. */
  readonly #moved = new Map<number, Set<string>>();
  /** Recent blocks the clock mined, by number: a block's logs may be heard before or after the clock reports it. */
  readonly #blocks = new Map<number, MinedBlock>();
  /** Watched positions a pool log named since they were last read. */
  readonly #stale = new Set<string>();
  readonly #subscriptions: string[] = [];
  #addresses: { pool: string; tokens: Map<string, string> } = { pool: "", tokens: new Map() };
  #detach: (() => void) | null = null;
  #chain: Promise<void> = Promise.resolve();
  readonly #onNotification = (payload: unknown): void => {
    const { subscription, result } = (payload ?? {}) as { subscription?: unknown; result?: unknown };
    if (typeof subscription !== "string" || !this.#subscriptions.includes(subscription)) return;
    const log = result as RpcLog;
    if (typeof log?.blockNumber !== "string" || !Array.isArray(log.topics)) return;
    if (subscription === this.#subscriptions[0]) this.#onPriceLog(log);
    else this.#onPoolLog(log);
  };

  private constructor(options: RivalLiquidatorOptions, feeds: readonly { symbol: string; address: string }[]) {
    this.#options = options;
    this.#provider = options.provider ?? (options.hre.network.provider as unknown as SubscribableProvider);
    this.#watched = options.borrowers.filter((borrower) => borrower.protocol === "aaveV3");
    this.#watchedByAddress = new Map(this.#watched.map((borrower) => [borrower.address.toLowerCase(), borrower]));
    this.#feeds = feeds;
    this.#symbolOfFeed = new Map(feeds.map((feed) => [feed.address.toLowerCase(), feed.symbol]));
    this.#reaction = options.reaction;
    this.address = options.wallet.address as Address;
  }

  /** Funds the rival (gas and inventory), approves the pool, reads its positions, and starts watching the chain. */
  static async start(options: RivalLiquidatorOptions): Promise<RivalLiquidator> {
    const { hre, sandbox, wallet } = options;
    const feeds = await Promise.all(
      Object.entries(sandbox.priceFeeds).map(async ([symbol, feed]) => ({ symbol, address: await feed.getAddress() })),
    );
    const rival = new RivalLiquidator(options, feeds);
    await ensureEth(hre, rival.address, 10n ** 24n);
    const needed = options.inventory ?? defaultInventory(rival.#watched);
    const pool = await sandbox.aave.pool.getAddress();
    const signer = wallet.connect(hre.ethers.provider);
    // Set up while the chain still automines (before the clock runs) or inside the clock's blocks: wait() works for both.
    for (const [symbol, amount] of Object.entries(needed)) {
      await mintTo(hre, sandbox.tokens, sandbox.deployer, symbol, rival.address, amount);
      await (await tokenBySymbol(sandbox.tokens, symbol).connect(signer).approve(pool, MaxUint256)).wait();
    }
    const tokens = new Map<string, string>();
    for (const symbol of new Set(rival.#watched.flatMap((borrower) => [borrower.collateral, borrower.debt])))
      tokens.set(symbol, await tokenBySymbol(sandbox.tokens, symbol).getAddress());
    rival.#addresses = { pool, tokens };
    rival.#nonce = Number(
      BigInt((await rival.#provider.request({ method: "eth_getTransactionCount", params: [rival.address, "latest"] })) as string),
    );
    // Listen first, then read: an update landing during the reads is applied, not missed.
    rival.#provider.addListener("notification", rival.#onNotification);
    for (const filter of [{ address: feeds.map((feed) => feed.address), topics: [ANSWER_UPDATED_TOPIC] }, { address: pool }])
      rival.#subscriptions.push((await rival.#provider.request({ method: "eth_subscribe", params: ["logs", filter] })) as string);
    await rival.#read(rival.#watched);
    rival.#detach = options.clock.onBlock((block) => rival.#onBlock(block));
    return rival;
  }

  get reaction(): RivalReaction | null {
    return this.#reaction;
  }

  /** Changes how (and whether) the rival reacts from the next price update on. */
  setReaction(reaction: RivalReaction | null): void {
    if (reaction !== null && (!(reaction.delayMs >= 0) || !(reaction.priorityFeeGwei >= 0))) {
      throw new Error(`a rival's delayMs and priorityFeeGwei must be >= 0, got ${JSON.stringify(reaction)}`);
    }
    this.#reaction = reaction;
  }

  /** Resolves once everything the rival has heard so far is handled (its reactions sent, changed positions re-read). */
  async settled(): Promise<void> {
    await this.#chain;
  }

  /** Stops watching; what it sent stays sent. */
  async stop(): Promise<void> {
    this.#detach?.();
    this.#detach = null;
    this.#provider.removeListener("notification", this.#onNotification);
    const subscriptions = this.#subscriptions.splice(0);
    await this.#chain;
    for (const id of subscriptions) await this.#provider.request({ method: "eth_unsubscribe", params: [id] }).catch(() => undefined);
  }

  #onPriceLog(log: RpcLog): void {
    const symbol = this.#symbolOfFeed.get(log.address.toLowerCase());
    if (symbol === undefined || log.topics[1] === undefined) return;
    // AnswerUpdated's `current` is indexed: the new answer is in the log itself, no read needed.
    this.#book.setPrice(symbol, BigInt.asIntN(256, BigInt(log.topics[1])));
    const number = Number(BigInt(log.blockNumber));
    const moved = this.#moved.get(number) ?? new Set<string>();
    moved.add(symbol);
    this.#moved.set(number, moved);
    if (this.#blocks.has(number)) this.#schedule(number);
  }

  #onPoolLog(log: RpcLog): void {
    // Liquidation, repayment, supply, withdrawal: the user is an indexed topic of every pool event that changes one.
    for (const topic of log.topics.slice(1)) {
      const user = `0x${topic.slice(-40)}`.toLowerCase();
      if (this.#watchedByAddress.has(user)) this.#stale.add(user);
    }
    if (this.#stale.size > 0) this.#schedule(null);
  }

  #onBlock(block: MinedBlock): void {
    this.#blocks.set(block.number, block);
    this.#blocks.delete(block.number - 64);
    if (this.#moved.has(block.number)) this.#schedule(block.number);
  }

  /** Queues a reaction to block `number` (null: only the re-reads of changed positions); one at a time, in order. */
  #schedule(number: number | null): void {
    this.#chain = this.#chain
      .then(async () => {
        if (number !== null) await this.#react(number);
        if (this.#stale.size > 0) {
          const changed = [...this.#stale].map((user) => this.#watchedByAddress.get(user)!);
          this.#stale.clear();
          await this.#read(changed);
        }
      })
      .catch(() => undefined);
  }

  async #react(number: number): Promise<void> {
    const moved = this.#moved.get(number);
    const block = this.#blocks.get(number);
    if (moved === undefined || block === undefined) return;
    this.#moved.delete(number);
    const reaction = this.#reaction;
    if (reaction === null) return;
    const underwater = this.#book.underwater(positionsPricedBy(this.#watched, moved));
    const targets: OpenedBorrower[] = [];
    for (const borrower of underwater) {
      const pending = this.#pending.get(borrower.address.toLowerCase());
      if (pending !== undefined && !(await this.#mined(pending))) continue;
      targets.push(borrower);
    }
    if (targets.length === 0) return;
    const wait = block.minedAtMs + reaction.delayMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const tip = parseUnits(String(reaction.priorityFeeGwei), "gwei");
    const { sandbox, wallet } = this.#options;
    const { pool, tokens } = this.#addresses;
    for (const borrower of targets) {
      const raw = await wallet.signTransaction({
        type: 2,
        chainId: sandbox.book.chainId,
        nonce: this.#nonce,
        to: pool,
        data: poolInterface.encodeFunctionData("liquidationCall", [
          tokens.get(borrower.collateral)!,
          tokens.get(borrower.debt)!,
          borrower.address,
          MaxUint256,
          false,
        ]),
        gasLimit: LIQUIDATION_GAS,
        maxPriorityFeePerGas: tip,
        maxFeePerGas: tip + block.baseFeePerGas * 4n,
      });
      const hash = (await this.#provider.request({ method: "eth_sendRawTransaction", params: [raw] })) as string;
      this.#nonce += 1;
      this.#pending.set(borrower.address.toLowerCase(), hash);
      this.attempts.push({ borrower: borrower.address, txHash: hash, priceBlock: number, sentAtMs: Date.now(), reaction });
    }
  }

  /**
   * Reads the positions' health and the feed answers it was computed at (one Multicall3 call per RIVAL_READ_BATCH
   * positions, an eth_call has a gas cap) into the book. Only at start and after a pool log names a position.
   */
  async #read(borrowers: readonly OpenedBorrower[]): Promise<void> {
    const { sandbox } = this.#options;
    const { pool } = this.#addresses;
    const feedCalls = this.#feeds.map((feed) => ({
      target: feed.address,
      allowFailure: true,
      callData: feedInterface.encodeFunctionData("latestAnswer"),
    }));
    for (let start = 0; start < borrowers.length; start += RIVAL_READ_BATCH) {
      const batch = borrowers.slice(start, start + RIVAL_READ_BATCH);
      const calls = [
        ...feedCalls,
        ...batch.map((borrower) => ({
          target: pool,
          allowFailure: true,
          callData: poolInterface.encodeFunctionData("getUserAccountData", [borrower.address]),
        })),
      ];
      const answer = (await this.#provider.request({
        method: "eth_call",
        params: [{ to: sandbox.book.multicall3, data: multicallInterface.encodeFunctionData("aggregate3", [calls]) }, "latest"],
      })) as string;
      const [results] = multicallInterface.decodeFunctionResult("aggregate3", answer) as unknown as [
        { success: boolean; returnData: string }[],
      ];
      const prices = new Map<string, bigint>();
      this.#feeds.forEach((feed, i) => {
        if (results[i]!.success)
          prices.set(feed.symbol, feedInterface.decodeFunctionResult("latestAnswer", results[i]!.returnData)[0] as bigint);
      });
      // Prices the logs have not told yet (the first read): a log heard during the read is newer, and wins.
      for (const [symbol, price] of prices) if (!this.#book.hasPrice(symbol)) this.#book.setPrice(symbol, price);
      batch.forEach((borrower, i) => {
        const result = results[feedCalls.length + i]!;
        const [collateralPrice, debtPrice] = [prices.get(borrower.collateral), prices.get(borrower.debt)];
        if (!result.success || collateralPrice === undefined || debtPrice === undefined) return;
        const data = poolInterface.decodeFunctionResult("getUserAccountData", result.returnData);
        const hasDebt = (data[1] as bigint) > 0n;
        this.#book.record(borrower.address, { healthFactor: hasDebt ? (data[5] as bigint) : null, collateralPrice, debtPrice });
      });
    }
  }

  async #mined(hash: string): Promise<boolean> {
    return (await this.#provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) !== null;
  }
}

/**
 * The watched positions a price update can have put under: those holding (as collateral or debt) a token whose feed
 * moved. Only these are judged against the update (in memory, health-book.ts), as a bot watching its own book would.
 */
export function positionsPricedBy(watched: readonly OpenedBorrower[], movedSymbols: ReadonlySet<string | undefined>): OpenedBorrower[] {
  return watched.filter((borrower) => movedSymbols.has(borrower.collateral) || movedSymbols.has(borrower.debt));
}

/** Twice every watched position's opening debt, per debt token: more than close factors ever ask for. */
function defaultInventory(borrowers: readonly OpenedBorrower[]): Record<string, bigint> {
  const inventory: Record<string, bigint> = {};
  for (const borrower of borrowers) inventory[borrower.debt] = (inventory[borrower.debt] ?? 0n) + borrower.debtAmount * 2n;
  return inventory;
}
