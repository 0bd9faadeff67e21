/**
 * The circuit breaker's view of the world outside the keeper's own transactions, read once per block
 * in one Multicall3 batch: the Chainlink L2 sequencer uptime feed (answer 0 = up, 1 = down, startedAt
 * = since when) and whether the executor is paused on chain. A read that fails is left out of the
 * observation (the breaker then keeps its last verdict) rather than guessed.
 */
import { ChimeraExecutor__factory, MockV3Aggregator__factory } from "../../typechain-types";
import type { Address } from "../config/address-book";
import { decodeIntWord, decodeUintWord, type Multicall3Client } from "../chain/multicall";

export interface ExternalConditions {
  readonly sequencer?: { readonly answer: bigint; readonly startedAtSeconds: number };
  readonly executorPaused?: boolean;
}

const aggregator = MockV3Aggregator__factory.createInterface();
const executorInterface = ChimeraExecutor__factory.createInterface();

export class ExternalConditionsReader {
  constructor(
    private readonly multicall: Multicall3Client,
    private readonly executor: Address,
    private readonly sequencerFeed: Address | undefined,
  ) {}

  async read(blockTag: number): Promise<ExternalConditions> {
    const calls = [{ target: this.executor, callData: executorInterface.encodeFunctionData("paused") }];
    if (this.sequencerFeed) calls.push({ target: this.sequencerFeed, callData: aggregator.encodeFunctionData("latestRoundData") });
    const [paused, round] = await this.multicall.aggregate3(calls, blockTag);
    const out: { sequencer?: ExternalConditions["sequencer"]; executorPaused?: boolean } = {};
    if (paused?.success && paused.returnData.length >= 66) out.executorPaused = decodeUintWord(paused.returnData) !== 0n;
    // latestRoundData → (roundId, answer, startedAt, updatedAt, answeredInRound)
    if (round?.success && round.returnData.length >= 2 + 64 * 3) {
      out.sequencer = { answer: decodeIntWord(round.returnData, 1), startedAtSeconds: Number(decodeUintWord(round.returnData, 2)) };
    }
    return out;
  }
}
