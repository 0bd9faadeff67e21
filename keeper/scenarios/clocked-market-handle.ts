/**
 * The sandbox as a MarketHandle on the clock-driven chain (sandbox/clock/): the chain mines a block every 200 ms on
 * its own, and a price step is injected at an arbitrary moment inside a block — a random delay drawn from the
 * scenario's seed, never aligned to the keeper — with its feed transmissions and pool re-alignments sent together
 * (`ChainClock.exclusive` holds the next mine only while they enter the mempool), so they share one block, as an
 * oracle update and the arbitrage that follows it do. Nothing here waits for the keeper.
 */
import type { ChainClock, MinedBlock } from "../../sandbox/clock";
import type { AddressBook } from "../config/address-book";
import type { SandboxMarketHandle } from "./sandbox-market-handle";
import type { MarketHandle, PriceMove } from "./scenario";

export interface ClockedMoveReport {
  /** The block the step landed in (block N of the race). */
  readonly block: MinedBlock;
  /** Wall-clock ms when the step's transactions entered the mempool. */
  readonly injectedAtMs: number;
}

export class ClockedMarketHandle implements MarketHandle {
  readonly book: AddressBook;
  /** Every step played, in order. */
  readonly moves: ClockedMoveReport[] = [];

  constructor(
    private readonly sandbox: SandboxMarketHandle,
    private readonly clock: ChainClock,
    /** Uniform in [0, 1): where inside the block a step arrives. */
    private readonly random: () => number,
  ) {
    this.book = sandbox.book;
  }

  priceOf(symbol: string): Promise<number> {
    return this.sandbox.priceOf(symbol);
  }

  /** Sends the step at a random moment of the current block; resolves with the block it landed in. */
  async movePrices(moves: readonly PriceMove[]): Promise<number> {
    return (await this.movePricesReport(moves)).block.number;
  }

  async movePricesReport(moves: readonly PriceMove[]): Promise<ClockedMoveReport> {
    if (!this.clock.running) throw new Error("the chain's clock is not running: start it before moving prices");
    // Every read the step needs is done before it holds the clock: held, the next block waits only for its sends.
    // (Planned inside, on a busy node, the reads held the step's block up to 1.3 s late, and the clock's grid then
    // mined the block after it at once, leaving a keeper no time to land in N+1.)
    const planned = await this.sandbox.planMoves(moves, true);
    // An arbitrary moment inside the block being built: after the last block, before the next is due.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(this.random() * this.clock.blockTimeMs)));
    const { hashes, injectedAtMs } = await this.clock.exclusive(async () => {
      const sent = await this.sandbox.submitMoves(planned);
      return { hashes: sent, injectedAtMs: Date.now() };
    });
    const report = { block: await this.blockContaining(hashes[0]!), injectedAtMs };
    this.moves.push(report);
    return report;
  }

  /**
   * An arbitrageur's turn: every pool holding one of `symbols` swapped back to the oracles' price (no feed update),
   * sent for the block being built. Returns the number of swaps sent (0: the pools were at the price). On Base, CEX-DEX
   * arbitrage closes the gap a burst of liquidation sales opens within a block or two; without it the sandbox's pools
   * stayed where a busy step's first sales pushed them, and the rest of the step was unprofitable for good.
   */
  async arbitrage(symbols: readonly string[]): Promise<number> {
    const moves = await Promise.all(symbols.map(async (symbol) => ({ symbol, usd: await this.priceOf(symbol) })));
    return (await this.sandbox.submitMoves(await this.sandbox.planMoves(moves, false))).length;
  }

  /** Waits for the clock's next block. */
  async mine(): Promise<number> {
    return (await this.clock.nextBlock()).number;
  }

  private async blockContaining(hash: string): Promise<MinedBlock> {
    for (let waited = 0; waited < 50; waited++) {
      const next = this.clock.nextBlock();
      const last = this.clock.lastBlock;
      // The block may already be out (the clock mines as soon as the step is in the mempool).
      if (last !== null && (await this.sandbox.isIncluded(hash, last.number))) return last;
      const block = await next;
      if (await this.sandbox.isIncluded(hash, block.number)) return block;
    }
    throw new Error(`the price step ${hash} was not mined within 50 blocks`);
  }
}
