/**
 * Tracking what the execution stage sent until it settles: each block, look for a receipt of every transaction in
 * flight (the original and any replacement), book it — included with its realised profit, reverted with the gas it
 * burnt, or LOST to another liquidator's transaction that got there first (race-ledger.ts) — and bump both fees (or
 * cancel) a transaction past its inclusion budget. The stage owns the in-flight table; this class settles it.
 *
 * Which reverts are races lost (a loss, never a fault: the breaker does not count them and the quick start does not
 * fail on them), judged once the events of the receipt's block are in:
 *   - someone else liquidated the position (or a batch member) from the block the plan was sized on to ours;
 *   - ours landed after the plan's deadline block (the executor's PlanExpired guard refused a late plan);
 *   - the markets now hold every position of the transaction healthy or closed (the price moved back, a repay).
 * Any other revert — the position still liquidatable, no rival, within the deadline — is a failure: something the
 * keeper cannot explain (a wrong plan, a pool that moved against the floor) that an operator must look at.
 */
import { positionKeyId, type Address, type LiquidationPlan } from "../core/types";
import type { ExecutionContext } from "./execution-context";
import type { ReceiptFacts } from "../journal/records";
import type { Instant } from "../risk/instant";
import { weiToEth } from "../telemetry/metrics";
import { FeesExhaustedError } from "../submit/transaction-preparer";
import type { PreparedTx, SignedTx } from "../submit/types";
import type { ExecutionPrices, ExecutionStageOptions, PriceTrigger } from "./execution-stage";
import { LOST_RACE_PREFIX, marketOfPositionId, type RivalLiquidation } from "./race-ledger";
import { planExecutedIn, receiptFeeWei, type FullReceiptLike } from "./receipt-facts";
import { errorMessage } from "../core/error-message";

/** A transaction the stage is tracking to its receipt. */
export interface TrackedExecution {
  readonly planId: string;
  readonly borrower: Address;
  readonly positionId: string;
  /** A liquidateBatch's other positions (empty for a single liquidation). */
  readonly members: readonly { readonly borrower: Address; readonly positionId: string }[];
  readonly profitToken: Address;
  readonly simulatedProfit: bigint;
  /** Gas the simulation estimated, for the expected-cost side of the deviation check. */
  readonly gasEstimate: bigint;
  readonly attempts: SignedTx[];
  readonly sentAtBlock: number;
  readonly sentAtMs: number;
  /** The oracle update it reacts to, for latency from price to inclusion. */
  readonly trigger?: PriceTrigger;
  /** The block whose state the plan was sized on: a rival's liquidation from then on explains a revert. */
  readonly plannedAtBlock?: number;
  /**
   * The plan's on-chain deadline: the executor reverts PlanExpired in any later block, so past it a bump can only
   * revert. Journaled with the intent, so an adopted transaction has it too (not one journaled before schema 3).
   */
  readonly deadlineBlock?: number;
  /** Attempts no send endpoint accepted (journaled `dropped`): a replacement is priced from one a node holds. */
  refused?: Set<string>;
  lastAttemptBlock: number;
  bumps: number;
}

/**
 * The record a signed transaction is tracked by until it settles: one a node accepted, or (`refused`) one the send
 * refused whose nonce must still be used because a later nonce of the key has already left (ExecutionStage).
 */
export function trackedExecution(
  plan: LiquidationPlan,
  signed: SignedTx,
  sent: { readonly context: ExecutionContext; readonly deadlineBlock: number; readonly atMs: number; readonly refused?: boolean },
  simulation: { readonly expectedProfit: bigint; readonly gasEstimate: bigint },
  batchMembers: readonly LiquidationPlan[],
): TrackedExecution {
  return {
    planId: plan.id,
    borrower: plan.candidate.key.borrower,
    positionId: positionKeyId(plan.candidate.key),
    members: batchMembers.map((member) => ({ borrower: member.candidate.key.borrower, positionId: positionKeyId(member.candidate.key) })),
    profitToken: plan.profitToken,
    simulatedProfit: simulation.expectedProfit,
    gasEstimate: simulation.gasEstimate,
    attempts: [signed],
    sentAtBlock: sent.context.headBlock,
    sentAtMs: sent.atMs,
    trigger: sent.context.trigger,
    plannedAtBlock: plan.candidate.detectedAtBlock,
    deadlineBlock: sent.deadlineBlock,
    ...(sent.refused === true ? { refused: new Set([signed.hash]) } : {}),
    lastAttemptBlock: sent.context.headBlock,
    bumps: 0,
  };
}

/** What settling one block found. */
export interface SettlementReport {
  readonly included: readonly {
    planId: string;
    blockNumber: number;
    realisedProfitUsd: number;
    /** Positions the transaction liquidated (more than one for a liquidateBatch). */
    positions: number;
    /** From the oracle update to this block, when the plan reacted to one: blocks (1 = N+1) and chain ms. */
    priceToInclusion?: { blocks: number; ms?: number };
  }[];
  readonly failed: readonly { planId: string; detail: string }[];
  /**
   * Attempts that lost their race (also in `failed`): someone else's liquidation landed first (`rival`), or, with no
   * rival seen, the position was no longer liquidatable when ours landed (`rival` null).
   */
  readonly lost: readonly { planId: string; rival: RivalLiquidation | null }[];
  readonly replaced: readonly { planId: string; txHash: string; kind: "replacement" | "cancel" }[];
}

/** USD value of `amount` raw units of `token`, when its price is known. */
export function tokenUsd(prices: ExecutionPrices, token: Address, amount: bigint): number | undefined {
  const usd = prices.usdPerToken(token);
  if (usd === undefined) return undefined;
  const scale = 10n ** BigInt(prices.decimalsOf(token));
  return (Number(amount / scale) + Number(amount % scale) / Number(scale)) * usd;
}

export class InFlightSettler {
  readonly #options: ExecutionStageOptions;
  readonly #inFlight: Map<string, TrackedExecution>;
  readonly #budget: number;
  readonly #maxBumps: number;
  readonly #clock: () => number;

  constructor(
    options: ExecutionStageOptions,
    inFlight: Map<string, TrackedExecution>,
    limits: { readonly budget: number; readonly maxBumps: number; readonly clock: () => number },
  ) {
    this.#options = options;
    this.#inFlight = inFlight;
    this.#budget = limits.budget;
    this.#maxBumps = limits.maxBumps;
    this.#clock = limits.clock;
  }

  /** Looks for receipts of every tracked transaction; bumps or cancels the ones past their budget. */
  async settle(headBlock: number, at: Instant): Promise<SettlementReport> {
    const included: SettlementReport["included"][number][] = [];
    const failed: { planId: string; detail: string }[] = [];
    const lost: { planId: string; rival: RivalLiquidation | null }[] = [];
    const replaced: { planId: string; txHash: string; kind: "replacement" | "cancel" }[] = [];
    // A blocked nonce that got mined after all frees the key (one chain read, only while one is blocked).
    await this.#options.preparer?.refreshNonceBlock();
    for (const tracked of [...this.#inFlight.values()]) {
      const receipt = await this.#findReceipt(tracked);
      // A receipt from a block newer than `headBlock` waits for the settle of that block: only then are its
      // protocol events in the race ledger, so a rival's liquidation in the same block is seen before ours is judged.
      if (receipt !== null && receipt.blockNumber > headBlock) continue;
      if (receipt !== null) {
        const result = this.#settleReceipt(tracked, receipt, at);
        if (result.kind === "included")
          included.push({
            planId: tracked.planId,
            blockNumber: receipt.blockNumber,
            realisedProfitUsd: result.realisedProfitUsd,
            priceToInclusion: result.priceToInclusion,
            positions: 1 + tracked.members.length,
          });
        else {
          failed.push({ planId: tracked.planId, detail: result.detail });
          if (result.lost) lost.push({ planId: tracked.planId, rival: result.rival ?? null });
        }
        continue;
      }
      // One whose only attempt no node holds (refused at the send while a later nonce had left) has nothing to wait for:
      // its nonce is used now (sent again with higher fees, or a cancel past its deadline), not a budget later.
      const onNoNode = tracked.bumps === 0 && tracked.attempts.every((attempt) => tracked.refused?.has(attempt.hash) === true);
      if (!onNoNode && headBlock - tracked.lastAttemptBlock < this.#budget) continue;
      const replacement = await this.#replace(tracked, headBlock, at);
      if (replacement !== null) replaced.push(replacement);
    }
    return { included, failed, lost, replaced };
  }

  /** A lost race, told the same way whatever explained it: the journal (atomically), the metrics and the breaker. */
  #bookLostRace(
    tracked: TrackedExecution,
    detail: string,
    receipt: ReceiptFacts,
    lossUsd: number,
    at: Instant,
    explanation: Readonly<Record<string, string | number | null>>,
  ): void {
    const { journal, metrics } = this.#options;
    journal.atomically(() => {
      journal.markFailed(tracked.planId, { error: detail, receipt });
      journal.recordSystemEvent({
        kind: "race_lost",
        actor: "keeper",
        detail,
        data: { planId: tracked.planId, borrower: tracked.borrower, ...explanation },
      });
    });
    metrics.executions.labels("failed").inc();
    metrics.races.labels("lost").inc();
    this.#options.onOutcome({ kind: "failed", planId: tracked.planId, borrower: tracked.borrower, failure: "lost-race", lossUsd, at });
  }

  /** Someone else's liquidation of this position between our send and `untilBlock`, if there was one. */
  #rivalOf(tracked: TrackedExecution, untilBlock: number): RivalLiquidation | null {
    // The race starts at the oracle update the plan reacted to (else the head it was planned at): a rival that landed
    // while this keeper was still planning took the position as surely as one that landed just before our receipt.
    // A retry, or a plan sized while the keeper was behind, may be on a state older than both: a rival that landed
    // after that state was read took the position before ours could.
    const fromBlock = Math.min(
      tracked.trigger?.blockNumber ?? tracked.sentAtBlock,
      tracked.sentAtBlock,
      tracked.plannedAtBlock ?? Infinity,
    );
    // A batch lives or dies together: a rival on any of its positions explains its revert.
    for (const position of [{ positionId: tracked.positionId, borrower: tracked.borrower }, ...tracked.members]) {
      const rival = this.#options.races?.firstRival(marketOfPositionId(position.positionId), position.borrower, fromBlock, untilBlock);
      if (rival) return rival;
    }
    return null;
  }

  /**
   * Whether every position the reverted transaction liquidated is, as the markets now know it (events up to the
   * receipt's block are in: settle waits for them), healthy or closed. Then the revert is the race's, not the
   * keeper's: a transaction that reverts while its position is still liquidatable stays a failure.
   */
  #noLongerLiquidatable(tracked: TrackedExecution): boolean {
    const state = this.#options.positionState;
    if (state === undefined) return false;
    return [tracked.positionId, ...tracked.members.map((m) => m.positionId)].every((id) => state(id) === "not-liquidatable");
  }

  #priceToInclusion(tracked: TrackedExecution, blockNumber: number): { blocks: number; ms?: number } | undefined {
    const trigger = tracked.trigger;
    if (trigger === undefined) return undefined;
    const blocks = blockNumber - trigger.blockNumber;
    const landedMs = this.#options.blockTimestampMs?.(blockNumber);
    const ms = landedMs === undefined || trigger.timestampMs === undefined ? undefined : landedMs - trigger.timestampMs;
    if (ms !== undefined) this.#options.metrics.priceToInclusion.observe(ms / 1_000);
    return { blocks, ms };
  }

  async #findReceipt(tracked: TrackedExecution): Promise<FullReceiptLike | null> {
    for (const attempt of [...tracked.attempts].reverse()) {
      const receipt = await this.#options.chain.getTransactionReceipt(attempt.hash);
      if (receipt !== null && receipt !== undefined) return receipt;
    }
    return null;
  }

  #settleReceipt(
    tracked: TrackedExecution,
    receipt: FullReceiptLike,
    at: Instant,
  ):
    | { kind: "included"; realisedProfitUsd: number; priceToInclusion?: { blocks: number; ms?: number } }
    | { kind: "failed"; detail: string; lost?: boolean; rival?: RivalLiquidation } {
    const { journal, metrics } = this.#options;
    this.#inFlight.delete(tracked.planId);
    const feeWei = receiptFeeWei(receipt);
    const nativeUsd = this.#options.prices.nativeUsd();
    const gasCostUsd = nativeUsd === undefined ? undefined : weiToEth(feeWei) * nativeUsd;
    const facts = {
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      effectiveGasPrice: receipt.gasPrice,
      gasCostUsd,
    };
    metrics.recordGasSpentWei(feeWei);
    metrics.inclusionLatency.observe(Math.max(0, this.#clock() - tracked.sentAtMs) / 1_000);
    const attempt = tracked.attempts.find((candidate) => candidate.hash.toLowerCase() === receipt.hash.toLowerCase());
    const borrower = tracked.borrower;

    if (receipt.status === 1 && attempt?.prepared.kind !== "cancel") {
      const executed = planExecutedIn(receipt, this.#options.executor);
      const realisedProfit = executed?.profit ?? 0n;
      const profitUsd = this.#tokenUsd(tracked.profitToken, realisedProfit) ?? 0;
      journal.markIncluded(tracked.planId, { ...facts, realisedProfit, realisedProfitUsd: profitUsd });
      metrics.executions.labels("included").inc();
      metrics.recordRealisedProfitUsd(profitUsd);
      const simulatedUsd = this.#tokenUsd(tracked.profitToken, tracked.simulatedProfit) ?? profitUsd;
      const expectedGasUsd = nativeUsd === undefined ? 0 : weiToEth(tracked.gasEstimate * receipt.gasPrice) * nativeUsd;
      const realisedNetUsd = profitUsd - (gasCostUsd ?? 0);
      metrics.races.labels("won").inc(1 + tracked.members.length);
      const priceToInclusion = this.#priceToInclusion(tracked, receipt.blockNumber);
      this.#options.onOutcome({
        kind: "included",
        planId: tracked.planId,
        borrower,
        simulatedProfitUsd: simulatedUsd - expectedGasUsd,
        realisedProfitUsd: realisedNetUsd,
        at,
      });
      return { kind: "included", realisedProfitUsd: profitUsd, priceToInclusion };
    }
    const lossUsd = gasCostUsd ?? 0;
    const rival = this.#rivalOf(tracked, receipt.blockNumber);
    if (rival !== null) {
      const detail = `${LOST_RACE_PREFIX}: ${borrower} was liquidated by ${rival.txHash} in block ${rival.blockNumber} first; ours ${
        receipt.status === 1 ? "was cancelled" : "reverted"
      } in block ${receipt.blockNumber}`;
      this.#bookLostRace(tracked, detail, facts, lossUsd, at, {
        rivalTx: rival.txHash,
        rivalBlock: rival.blockNumber,
        ours: receipt.status === 1 ? "cancelled" : "reverted",
      });
      return { kind: "failed", detail, lost: true, rival };
    }
    const late = receipt.status !== 1 && tracked.deadlineBlock !== undefined && receipt.blockNumber > tracked.deadlineBlock;
    if (late || (receipt.status !== 1 && this.#noLongerLiquidatable(tracked))) {
      const detail = late
        ? `${LOST_RACE_PREFIX}: ours landed in block ${receipt.blockNumber}, after its deadline block ${tracked.deadlineBlock}, and the executor refused it (PlanExpired): too late for ${borrower}`
        : `${LOST_RACE_PREFIX}: ${borrower} was no longer liquidatable when ours reverted in block ${receipt.blockNumber} (no rival liquidation seen: the price moved back or the debt was repaid)`;
      this.#bookLostRace(tracked, detail, facts, lossUsd, at, {
        rivalTx: null,
        ours: "reverted",
        cause: late ? "deadline-passed" : "no-longer-liquidatable",
      });
      return { kind: "failed", detail, lost: true };
    }
    if (receipt.status === 1) {
      // Cancelled past the plan's deadline: too late, like a PlanExpired revert — a race lost, not a breaker failure.
      const tooLate = tracked.deadlineBlock !== undefined && receipt.blockNumber > tracked.deadlineBlock;
      const detail = `cancelled: the zero-value self-transfer took the nonce${tooLate ? `, past the plan's deadline block ${tracked.deadlineBlock}` : ""}`;
      journal.markReplaced(tracked.planId, { detail, receipt: facts });
      metrics.executions.labels("replaced").inc();
      const failure = tooLate ? "lost-race" : "not-included";
      this.#options.onOutcome({ kind: "failed", planId: tracked.planId, borrower, failure, lossUsd, at });
      return { kind: "failed", detail: "cancelled" };
    }
    journal.markFailed(tracked.planId, { error: "reverted on chain", receipt: facts });
    metrics.executions.labels("failed").inc();
    this.#options.onOutcome({ kind: "failed", planId: tracked.planId, borrower, failure: "reverted", lossUsd, at });
    return { kind: "failed", detail: "reverted on chain" };
  }

  /** Past the block budget: bump both fees (or cancel once the bumps are used up or the caps are hit). */
  async #replace(
    tracked: TrackedExecution,
    headBlock: number,
    at: Instant,
  ): Promise<{ planId: string; txHash: string; kind: "replacement" | "cancel" } | null> {
    const { preparer, broadcaster, journal, chain, metrics, logger } = this.#options;
    const newest = tracked.attempts.at(-1)!;
    if (preparer === null || broadcaster === null) return null;
    // A nonce already used by a transaction that is none of ours (another process on this key).
    const latestNonce = await chain.getTransactionCount(preparer.from, "latest");
    if (latestNonce > newest.prepared.nonce) {
      const again = await this.#findReceipt(tracked);
      if (again !== null && again.blockNumber > headBlock) return null;
      if (again !== null) {
        this.#settleReceipt(tracked, again, at);
        return null;
      }
      this.#inFlight.delete(tracked.planId);
      journal.markReplaced(tracked.planId, { detail: `nonce ${newest.prepared.nonce} was used by a transaction this keeper did not sign` });
      metrics.executions.labels("replaced").inc();
      this.#options.onOutcome({
        kind: "failed",
        planId: tracked.planId,
        borrower: tracked.borrower,
        failure: "not-included",
        lossUsd: 0,
        at,
      });
      return null;
    }
    // Past the plan's deadline the same call can only revert PlanExpired: free the nonce with a cancel instead.
    const expired = tracked.deadlineBlock !== undefined && headBlock + 1 > tracked.deadlineBlock;
    // Priced from the newest attempt a node accepted: a refused one is on no node, and bidding over it climbs to the ceiling.
    const basis = [...tracked.attempts].reverse().find((candidate) => tracked.refused?.has(candidate.hash) !== true) ?? newest;
    const stuck: PreparedTx = tracked.bumps >= this.#maxBumps || expired ? { ...basis.prepared, kind: "cancel" } : basis.prepared;
    let next: PreparedTx;
    try {
      next = await preparer.prepareReplacement(stuck, basis.hash);
    } catch (error) {
      if (!(error instanceof FeesExhaustedError)) throw error;
      // Nothing more to bid: leave the last transaction to land or expire (its deadline block passes). The preparer
      // has marked the nonce blocked (alert, /status, metric) and sends nothing new until it is mined.
      tracked.lastAttemptBlock = headBlock;
      logger.debug({ planId: tracked.planId, reason: error.message }, "cannot replace a stuck transaction further");
      return null;
    }
    const signed = await preparer.sign(next);
    const kind = next.kind === "cancel" ? "cancel" : "replacement";
    // Priced exactly like a refused attempt (the same fees over the same basis): that transaction is sent again.
    const again = tracked.attempts.some((candidate) => candidate.hash === signed.hash);
    if (!again) {
      journal.recordReplacement(
        tracked.planId,
        {
          txHash: signed.hash,
          signer: next.from,
          nonce: next.nonce,
          maxFeePerGas: next.fees.maxFeePerGas,
          maxPriorityFeePerGas: next.fees.maxPriorityFeePerGas,
          gasLimit: next.gasLimit,
        },
        kind,
      );
      tracked.attempts.push(signed);
    }
    tracked.lastAttemptBlock = headBlock;
    tracked.bumps += 1;
    // Ours before it is sent: it may land before the endpoints answer (see ExecutionStage).
    this.#options.races?.noteOwnTransaction(signed.hash);
    try {
      await broadcaster.broadcast(signed);
      metrics.transactionsSent.inc();
      if (tracked.refused?.delete(signed.hash) === true) journal.markAttemptAccepted(tracked.planId, signed.hash);
    } catch (error) {
      (tracked.refused ??= new Set()).add(signed.hash);
      journal.markAttemptRefused(tracked.planId, signed.hash);
      // A refused replacement usually means the earlier attempt just landed: the next settle sees it.
      await preparer.nonces.resync().catch(() => undefined);
      logger.warn({ planId: tracked.planId, txHash: signed.hash, error: errorMessage(error) }, "replacement refused");
    }
    logger.info(
      { planId: tracked.planId, txHash: signed.hash, kind },
      kind === "cancel" ? "cancelling a stuck liquidation" : "fee-bumped a stuck liquidation",
    );
    return { planId: tracked.planId, txHash: signed.hash, kind };
  }

  #tokenUsd(token: Address, amount: bigint): number | undefined {
    return tokenUsd(this.#options.prices, token, amount);
  }
}
