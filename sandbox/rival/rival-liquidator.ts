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
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Interface, MaxUint256, Wallet, parseUnits } from "ethers";
import type { Sandbox } from "../sandbox-types";
import type { OpenedBorrower } from "../borrowers";
import { ensureEth, mintTo, tokenBySymbol } from "../token-supply";
import type { ChainClock, MinedBlock } from "../clock/chain-clock";
import type { Eip1193Provider } from "../clock/eip1193";
import { hexQuantity } from "../clock/eip1193";
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
}

/**
 * Positions read per Multicall3 eth_call: one getUserAccountData costs tens of thousands of gas, so batches keep each
 * call well under the node's gas cap however many positions the rival watches (the benchmark watches ~600).
 */
const RIVAL_READ_BATCH = 100;
const ANSWER_UPDATED_TOPIC = new Interface([
  "event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)",
]).getEvent("AnswerUpdated")!.topicHash;
const poolInterface = new Interface([
  "function getUserAccountData(address user) view returns (uint256 totalCollateralBase, uint256 totalDebtBase, uint256 availableBorrowsBase, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)",
  "function liquidationCall(address collateralAsset, address debtAsset, address user, uint256 debtToCover, bool receiveAToken)",
]);
const multicallInterface = new Interface([
  "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)",
]);
const WAD = 10n ** 18n;
/** A v3.0 liquidation with a Uniswap-free inventory repay uses ~300k gas; 1M leaves room for cold storage. */
const LIQUIDATION_GAS = 1_000_000n;

export class RivalLiquidator {
  readonly address: Address;
  readonly attempts: RivalAttempt[] = [];
  readonly #options: RivalLiquidatorOptions;
  readonly #provider: Eip1193Provider;
  readonly #watched: readonly OpenedBorrower[];
  readonly #feeds: string[];
  /** Feed address (lower case) → the token symbol it prices. */
  readonly #symbolOfFeed: ReadonlyMap<string, string>;
  #reaction: RivalReaction | null;
  #nonce = 0;
  /** Borrower → its last transaction, not yet mined: no second shot at a position while one is on the wire. */
  readonly #pending = new Map<string, string>();
  #detach: (() => void) | null = null;
  #chain: Promise<void> = Promise.resolve();

  private constructor(options: RivalLiquidatorOptions, feeds: readonly { symbol: string; address: string }[]) {
    this.#options = options;
    this.#provider = options.hre.network.provider;
    this.#watched = options.borrowers.filter((borrower) => borrower.protocol === "aaveV3");
    this.#feeds = feeds.map((feed) => feed.address);
    this.#symbolOfFeed = new Map(feeds.map((feed) => [feed.address.toLowerCase(), feed.symbol]));
    this.#reaction = options.reaction;
    this.address = options.wallet.address as Address;
  }

  /** Funds the rival (gas and inventory), approves the pool, and starts watching the clock's blocks. */
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
    rival.#nonce = Number(
      BigInt((await rival.#provider.request({ method: "eth_getTransactionCount", params: [rival.address, "latest"] })) as string),
    );
    rival.#detach = options.clock.onBlock((block) => {
      rival.#chain = rival.#chain.then(() => rival.#onBlock(block)).catch(() => undefined);
    });
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

  /** Stops watching; what it sent stays sent. */
  async stop(): Promise<void> {
    this.#detach?.();
    this.#detach = null;
    await this.#chain;
  }

  async #onBlock(block: MinedBlock): Promise<void> {
    const reaction = this.#reaction;
    if (reaction === null || this.#watched.length === 0) return;
    const tag = hexQuantity(block.number);
    const logs = (await this.#provider.request({
      method: "eth_getLogs",
      params: [{ fromBlock: tag, toBlock: tag, address: this.#feeds, topics: [ANSWER_UPDATED_TOPIC] }],
    })) as { address: string }[];
    if (logs.length === 0) return;
    const moved = new Set(logs.map((log) => this.#symbolOfFeed.get(log.address.toLowerCase())));
    const underwater = await this.#liquidatable(tag, positionsPricedBy(this.#watched, moved));
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
    const pool = await sandbox.aave.pool.getAddress();
    for (const borrower of targets) {
      const raw = await wallet.signTransaction({
        type: 2,
        chainId: sandbox.book.chainId,
        nonce: this.#nonce,
        to: pool,
        data: poolInterface.encodeFunctionData("liquidationCall", [
          await tokenBySymbol(sandbox.tokens, borrower.collateral).getAddress(),
          await tokenBySymbol(sandbox.tokens, borrower.debt).getAddress(),
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
      this.attempts.push({ borrower: borrower.address, txHash: hash, priceBlock: block.number, sentAtMs: Date.now(), reaction });
    }
  }

  /** Watched positions under HF 1 at `tag`, one Multicall3 call per RIVAL_READ_BATCH (an eth_call has a gas cap). */
  async #liquidatable(tag: string, candidates: readonly OpenedBorrower[]): Promise<OpenedBorrower[]> {
    const { sandbox } = this.#options;
    const pool = await sandbox.aave.pool.getAddress();
    const batches: OpenedBorrower[][] = [];
    for (let start = 0; start < candidates.length; start += RIVAL_READ_BATCH)
      batches.push(candidates.slice(start, start + RIVAL_READ_BATCH));
    const found = await Promise.all(
      batches.map(async (batch) => {
        const calls = batch.map((borrower) => ({
          target: pool,
          allowFailure: true,
          callData: poolInterface.encodeFunctionData("getUserAccountData", [borrower.address]),
        }));
        const answer = (await this.#provider.request({
          method: "eth_call",
          params: [{ to: sandbox.book.multicall3, data: multicallInterface.encodeFunctionData("aggregate3", [calls]) }, tag],
        })) as string;
        const [results] = multicallInterface.decodeFunctionResult("aggregate3", answer) as unknown as [
          { success: boolean; returnData: string }[],
        ];
        return batch.filter((_, i) => {
          const result = results[i]!;
          if (!result.success) return false;
          const data = poolInterface.decodeFunctionResult("getUserAccountData", result.returnData);
          return (data[1] as bigint) > 0n && (data[5] as bigint) < WAD;
        });
      }),
    );
    return found.flat();
  }

  async #mined(hash: string): Promise<boolean> {
    return (await this.#provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) !== null;
  }
}

/**
 * The watched positions a price update can have put under: those holding (as collateral or debt) a token whose feed
 * moved. The rival reads only these, as a bot watching its own book would: reading all of them on every update (the
 * reaction benchmark watches ~575, 6 eth_calls of 100 health factors) made the node the keeper shares busy at block N.
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
