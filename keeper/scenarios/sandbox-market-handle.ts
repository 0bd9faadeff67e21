/**
 * The sandbox as a MarketHandle, STEP-LOCKED: the chain runs with automine OFF while a scenario plays, and this
 * handle mines: a price step puts every feed update and every pool re-alignment swap in ONE block,
 * then the keeper reacts, then the next `mine()` is the block its transactions must land in. That
 * makes "liquidated in the next block" a property a deterministic unit test can check; it claims no
 * speed (the chain waits for the keeper). Speed is measured on the clock-driven chain instead
 * (clocked-market-handle.ts: the chain mines every 200 ms and price steps land at arbitrary moments).
 *
 * Feeds publish like real aggregators: `prepare()` installs AnswerUpdatedFeed's code over each sandbox feed (same
 * storage, plus the AnswerUpdated event), so a keeper can take each new answer from its log.
 *
 * Pools follow the feeds the way arbitrage would: a swap with a price limit at the feeds' implied price
 * (the router takes only what the pool needed). The deployer, the sandbox's market maker, is funded and
 * approved once in `prepare()`, so a price step sends nothing but the feed updates and the swaps.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { MaxUint256 } from "ethers";
import { AnswerUpdatedFeed__factory, UniswapV3Pool__factory } from "../../typechain-types";
import type { Address, AddressBook } from "../config/address-book";
import type { Sandbox } from "../../sandbox";
import { usdToFeedAnswer } from "../../sandbox/market-spec";
import { ensureDeployerHolds, tokenBySymbol } from "../../sandbox/token-supply";
import { MAX_SQRT_RATIO, MIN_SQRT_RATIO, sqrtPriceX96FromUsd } from "../../sandbox/uniswap-math";
import type { MarketHandle, PriceMove } from "./scenario";

/** Gas limits given explicitly: with automine off, estimating against `latest` would ignore the pending moves. */
const FEED_UPDATE_GAS = 200_000n;
const ALIGNING_SWAP_GAS = 1_000_000n;
/** The market maker holds this many times every pool's reserves: far more than any scenario step needs. */
const RESERVE_MULTIPLE = 4n;

/** A price step's transactions, planned (every read done) and not yet sent: feed transmissions first, then swaps. */
export interface PlannedMoves {
  readonly from: Address;
  readonly transactions: readonly PlannedTransaction[];
}

interface PlannedTransaction {
  readonly to: Address;
  readonly data: string;
  readonly gas: bigint;
}

const FEED_INTERFACE = AnswerUpdatedFeed__factory.createInterface();

interface PoolFacts {
  readonly address: Address;
  readonly token0: Address;
  readonly token1: Address;
  readonly symbol0: string;
  readonly symbol1: string;
  readonly fee: bigint;
}

export class SandboxMarketHandle implements MarketHandle {
  readonly book: AddressBook;
  private pools: PoolFacts[] = [];
  private prepared = false;

  constructor(
    private readonly hre: HardhatRuntimeEnvironment,
    private readonly sandbox: Sandbox,
  ) {
    this.book = sandbox.book;
  }

  /** Funds and approves the market maker, then switches automine off: from here on, this handle mines. */
  async prepare(): Promise<void> {
    await this.prepareMarketMaker();
    await this.hre.network.provider.send("evm_setAutomine", [false]);
    this.prepared = true;
  }

  /**
   * Everything `prepare` does except taking over mining: feeds that emit AnswerUpdated, the market maker funded and
   * approved. A driver that leaves mining to a clock calls this and then only `sendMoves`.
   */
  async prepareMarketMaker(): Promise<void> {
    if (this.pools.length > 0) return;
    const { sandbox } = this;
    const feedCode = (await this.hre.artifacts.readArtifact("AnswerUpdatedFeed")).deployedBytecode;
    for (const feed of Object.values(sandbox.priceFeeds)) {
      await this.hre.network.provider.send("hardhat_setCode", [await feed.getAddress(), feedCode]);
    }
    const router = await sandbox.uniswap.router.getAddress();
    const reserves = new Map<string, bigint>();
    for (const address of Object.values(sandbox.uniswap.pools)) {
      const pool = UniswapV3Pool__factory.connect(address, sandbox.deployer);
      const [token0, token1, fee] = await Promise.all([pool.token0(), pool.token1(), pool.fee()]);
      const facts: PoolFacts = {
        address: address as Address,
        token0: token0 as Address,
        token1: token1 as Address,
        symbol0: this.symbolAt(token0),
        symbol1: this.symbolAt(token1),
        fee,
      };
      this.pools.push(facts);
      for (const symbol of [facts.symbol0, facts.symbol1]) {
        const balance = await tokenBySymbol(sandbox.tokens, symbol).balanceOf(address);
        reserves.set(symbol, (reserves.get(symbol) ?? 0n) + balance);
      }
    }
    for (const [symbol, reserve] of reserves) {
      await ensureDeployerHolds(this.hre, sandbox, symbol, reserve * RESERVE_MULTIPLE);
      const token = tokenBySymbol(sandbox.tokens, symbol);
      if ((await token.allowance(sandbox.deployer.address, router)) < MaxUint256 / 2n) {
        await (await token.connect(sandbox.deployer).approve(router, MaxUint256)).wait();
      }
    }
  }

  /** Gives mining back to Hardhat (automine on). */
  async release(): Promise<void> {
    await this.hre.network.provider.send("evm_setAutomine", [true]);
    this.prepared = false;
  }

  async priceOf(symbol: string): Promise<number> {
    const feed = this.feedOf(symbol);
    return Number((await feed.latestRoundData()).answer) / 1e8;
  }

  async movePrices(moves: readonly PriceMove[]): Promise<number> {
    return this.applyMoves(moves, true);
  }

  /**
   * Moves the pools to these prices WITHOUT the feeds (one mined block): a market move the oracles
   * have not seen — a dump, or a front-runner — which tests use to make a plan go stale.
   */
  async movePoolsOnly(moves: readonly PriceMove[]): Promise<number> {
    return this.applyMoves(moves, false);
  }

  private async applyMoves(moves: readonly PriceMove[], updateFeeds: boolean): Promise<number> {
    if (!this.prepared) throw new Error("call prepare() before moving prices: the handle must own mining");
    await this.sendMoves(moves, updateFeeds);
    return this.mine();
  }

  /**
   * Sends a step's feed transmissions (when `updateFeeds`) and the pool swaps that re-align the pools with them,
   * WITHOUT mining: with automine off they wait in the mempool for the next block. Returns their hashes, feeds first.
   */
  async sendMoves(moves: readonly PriceMove[], updateFeeds = true): Promise<string[]> {
    return this.submitMoves(await this.planMoves(moves, updateFeeds));
  }

  /**
   * The step's transactions, ready to send: every read they depend on (the feeds' answers, the pools' prices, the
   * market maker's balances) is done here. A clock-driven driver plans BEFORE it holds the chain's next block and
   * only submits while holding it (clocked-market-handle.ts): on a busy node those reads took up to 1.3 s, the block
   * carrying the step was mined that late, and the next block followed at once on the clock's grid.
   */
  async planMoves(moves: readonly PriceMove[], updateFeeds = true): Promise<PlannedMoves> {
    if (this.pools.length === 0) throw new Error("call prepare() or prepareMarketMaker() before moving prices");
    const { sandbox } = this;
    const answers = new Map<string, bigint>();
    for (const symbol of Object.keys(sandbox.priceFeeds)) answers.set(symbol, (await this.feedOf(symbol).latestRoundData()).answer);
    for (const move of moves) answers.set(move.symbol, usdToFeedAnswer(move.usd));

    const moved = new Set(moves.map((move) => move.symbol));
    const transactions: PlannedTransaction[] = [];
    for (const move of updateFeeds ? moves : []) {
      transactions.push({
        to: (await this.feedOf(move.symbol).getAddress()) as Address,
        data: FEED_INTERFACE.encodeFunctionData("transmit", [answers.get(move.symbol)!]),
        gas: FEED_UPDATE_GAS,
      });
    }
    const router = (await sandbox.uniswap.router.getAddress()) as Address;
    for (const pool of this.pools) {
      if (!moved.has(pool.symbol0) && !moved.has(pool.symbol1)) continue;
      const target = sqrtPriceX96FromUsd(
        answers.get(pool.symbol0)!,
        this.book.tokens[pool.symbol0].decimals,
        answers.get(pool.symbol1)!,
        this.book.tokens[pool.symbol1].decimals,
      );
      const current = (await UniswapV3Pool__factory.connect(pool.address, sandbox.deployer).slot0()).sqrtPriceX96;
      if (target === current || target <= MIN_SQRT_RATIO || target >= MAX_SQRT_RATIO) continue;
      // The price (token1 per token0) must rise: sell token1 into the pool; fall: sell token0.
      const [tokenIn, tokenOut, symbolIn] =
        target > current ? [pool.token1, pool.token0, pool.symbol1] : [pool.token0, pool.token1, pool.symbol0];
      const amountIn = await tokenBySymbol(sandbox.tokens, symbolIn).balanceOf(sandbox.deployer.address);
      const params = {
        tokenIn,
        tokenOut,
        fee: pool.fee,
        recipient: sandbox.deployer.address,
        amountIn,
        amountOutMinimum: 0n,
        sqrtPriceLimitX96: target,
      };
      transactions.push({
        to: router,
        data: sandbox.uniswap.router.interface.encodeFunctionData("exactInputSingle", [params]),
        gas: ALIGNING_SWAP_GAS,
      });
    }
    return { from: sandbox.deployer.address as Address, transactions };
  }

  /** Sends planned step transactions in order (the node numbers them), nothing else: one request each. */
  async submitMoves(planned: PlannedMoves): Promise<string[]> {
    const hashes: string[] = [];
    for (const tx of planned.transactions) {
      const hash = await this.hre.network.provider.request({
        method: "eth_sendTransaction",
        params: [{ from: planned.from, to: tx.to, data: tx.data, gas: `0x${tx.gas.toString(16)}` }],
      });
      hashes.push(hash as string);
    }
    return hashes;
  }

  /** Whether transaction `hash` was mined in block `blockNumber`. */
  async isIncluded(hash: string, blockNumber: number): Promise<boolean> {
    const receipt = await this.hre.ethers.provider.getTransactionReceipt(hash);
    return receipt !== null && receipt.blockNumber === blockNumber;
  }

  async mine(): Promise<number> {
    await this.hre.network.provider.send("evm_mine", []);
    return this.hre.ethers.provider.getBlockNumber();
  }

  private feedOf(symbol: string) {
    const feed = this.sandbox.priceFeeds[symbol];
    if (feed === undefined)
      throw new Error(`no sandbox price feed for "${symbol}"; expected one of ${Object.keys(this.sandbox.priceFeeds).join(", ")}`);
    return feed;
  }

  private symbolAt(address: string): string {
    const token = Object.values(this.book.tokens).find((t) => t.address.toLowerCase() === address.toLowerCase());
    if (token === undefined) throw new Error(`pool token ${address} is not a sandbox token`);
    return token.symbol;
  }
}
