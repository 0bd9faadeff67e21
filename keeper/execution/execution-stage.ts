/**
 * The executor stage of the pipeline: simulate → journal intent → sign → broadcast → track → bump or
 * cancel. The order is the crash-safety contract (keeper/journal/execution-lifecycle.ts):
 *
 *   simulate ─ prepare (nonce, fees) ─ [planned → simulated → intent_recorded, one fsynced commit]
 *     ─ sign ─ markSigned (hash on disk) ─ broadcast ─ markSent ─ track ─ included | failed | replaced
 *   (DRY, or a failed simulation: planned → simulated → dropped / planned → failed, nothing signed)
 *
 * so every transaction that can be on the wire has its intent, then its hash, on disk before it
 * leaves the process. A plan whose simulation fails is never signed. Inclusion is tracked per block
 * (`settle`), not awaited inside `execute`, so one slow transaction never delays the next reaction.
 */
import { positionKeyId, type Address, type KeeperMode, type LiquidationPlan } from "../core/types";
import { JournalError, type Journal } from "../journal/journal";
import { isTerminalExecutionState } from "../journal/execution-lifecycle";
import type { ExecutionOutcome } from "../risk/execution-outcome";
import type { Instant } from "../risk/instant";
import type { KeeperMetrics } from "../telemetry/metrics";
import { weiToEth } from "../telemetry/metrics";
import type { Logger } from "../telemetry/logger";
import { FeesExhaustedError, type TransactionPreparer } from "../submit/transaction-preparer";
import type { PreparedTx, SignedTx } from "../submit/types";
import type { SignedTxBroadcaster } from "./broadcast";
import type { PlanSimulator, SimulationOutcome } from "./plan-simulator";
import { planExecutedIn, receiptFeeWei, type FullReceiptLike } from "./receipt-facts";
import { LOST_RACE_PREFIX, marketOfPositionId, type RaceLedger, type RivalLiquidation } from "./race-ledger";

/** Chain reads for tracking; an ethers Provider satisfies them. */
export interface ExecutionChain {
  getTransactionReceipt(hash: string): Promise<FullReceiptLike | null>;
  getTransaction(hash: string): Promise<{ readonly hash: string } | null>;
  getTransactionCount(address: string, blockTag: "latest" | "pending"): Promise<number>;
}

/** USD prices the stage needs to value profit and gas (the markets keep them current). */
export interface ExecutionPrices {
  usdPerToken(token: Address): number | undefined;
  decimalsOf(token: Address): number;
  nativeUsd(): number | undefined;
}

/** Test seams: a hook may throw (to stand in for an RPC failure) or kill the process (crash tests). */
export interface ExecutionHooks {
  /** After the plan is journaled, before its simulation (a test moves the market here). */
  beforeSimulate?(plan: LiquidationPlan): void | Promise<void>;
  /** Signed and recorded (`signed`), not yet broadcast. */
  afterSigned?(planId: string, signed: SignedTx): void | Promise<void>;
  /** Broadcast and recorded (`sent`), receipt not yet seen. */
  afterBroadcast?(planId: string, signed: SignedTx): void | Promise<void>;
}

export interface ExecutionStageOptions {
  readonly journal: Journal;
  readonly simulator: PlanSimulator;
  /** Null when the keeper has no signing key (DRY only). */
  readonly preparer: TransactionPreparer | null;
  readonly broadcaster: SignedTxBroadcaster | null;
  readonly chain: ExecutionChain;
  readonly executor: Address;
  readonly metrics: KeeperMetrics;
  readonly logger: Logger;
  readonly prices: ExecutionPrices;
  /** Told about every submission and settlement (the risk gate and the breaker listen). */
  readonly onOutcome: (outcome: ExecutionOutcome) => void;
  readonly clock?: () => number;
  /** Monotonic sub-millisecond clock for decision latency. Default performance.now. */
  readonly latencyClock?: () => number;
  /** Blocks to wait for a receipt before bumping. Default 3 (6 s on Base). */
  readonly inclusionBlockBudget?: number;
  /** Fee bumps before the stage gives up the opportunity and cancels. Default 2. */
  readonly maxBumps?: number;
  readonly hooks?: ExecutionHooks;
  /** Other liquidators' liquidations: an attempt that loses to one is a lost race, not a failure. */
  readonly races?: RaceLedger | null;
  /** A block's millisecond time (Denim's timestampMs) when known, for oracle-update-to-inclusion latency. */
  readonly blockTimestampMs?: (blockNumber: number) => number | undefined;
}

/** The oracle update a plan reacts to: block N of the race, and its millisecond time when known. */
export interface PriceTrigger {
  readonly blockNumber: number;
  readonly timestampMs?: number;
}

export interface ExecutionContext {
  readonly mode: KeeperMode;
  readonly headBlock: number;
  /**
   * When the keeper saw the event this plan reacts to, on the monotonic latency clock
   * (`performance.now()` unless the stage was given another): decision latency starts here.
   */
  readonly seenAtMs: number;
  readonly at: Instant;
  /** Profit the plan will not see because of this keeper's own earlier sales in the block (see OwnSalesLedger). */
  readonly profitShortfall?: bigint;
  /** The oracle update this plan reacts to, when it reacts to one. */
  readonly trigger?: PriceTrigger;
}

export type ExecutionReport =
  | {
      readonly status: "sent";
      readonly planId: string;
      readonly txHash: string;
      readonly nonce: number;
      readonly simulatedProfit: bigint;
      readonly minProfit: bigint;
      /** seenAtMs → signed transaction, ms. */
      readonly decisionMs: number;
    }
  | { readonly status: "dry-run"; readonly planId: string; readonly simulatedProfit: bigint; readonly decisionMs: number }
  | { readonly status: "simulation-failed"; readonly planId: string; readonly detail: string }
  | { readonly status: "not-sent"; readonly planId: string; readonly detail: string }
  | { readonly status: "duplicate"; readonly planId: string; readonly detail: string };

/** A transaction the stage is tracking to its receipt. */
export interface TrackedExecution {
  readonly planId: string;
  readonly borrower: Address;
  readonly positionId: string;
  readonly profitToken: Address;
  readonly simulatedProfit: bigint;
  /** Gas the simulation estimated, for the expected-cost side of the deviation check. */
  readonly gasEstimate: bigint;
  readonly attempts: SignedTx[];
  readonly sentAtBlock: number;
  readonly sentAtMs: number;
  /** The oracle update it reacts to, for latency from price to inclusion. */
  readonly trigger?: PriceTrigger;
  lastAttemptBlock: number;
  bumps: number;
}

/** What settling one block found. */
export interface SettlementReport {
  readonly included: readonly {
    planId: string;
    blockNumber: number;
    realisedProfitUsd: number;
    /** From the oracle update to this block, when the plan reacted to one: blocks (1 = N+1) and chain ms. */
    priceToInclusion?: { blocks: number; ms?: number };
  }[];
  readonly failed: readonly { planId: string; detail: string }[];
  /** Attempts that found the position liquidated by someone else first (also in `failed`). */
  readonly lost: readonly { planId: string; rival: RivalLiquidation }[];
  readonly replaced: readonly { planId: string; txHash: string; kind: "replacement" | "cancel" }[];
}

export class ExecutionStage {
  readonly #options: ExecutionStageOptions;
  readonly #clock: () => number;
  readonly #latencyClock: () => number;
  readonly #budget: number;
  readonly #maxBumps: number;
  readonly #inFlight = new Map<string, TrackedExecution>();

  constructor(options: ExecutionStageOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#latencyClock = options.latencyClock ?? (() => performance.now());
    this.#budget = options.inclusionBlockBudget ?? 3;
    this.#maxBumps = options.maxBumps ?? 2;
    if (!Number.isInteger(this.#budget) || this.#budget < 1)
      throw new Error(`inclusionBlockBudget must be a positive integer, got ${this.#budget}`);
  }

  /** Whether LIVE is possible at all (a key and somewhere to send). */
  get canSend(): boolean {
    return this.#options.preparer !== null && this.#options.broadcaster !== null;
  }

  get operator(): Address | null {
    return this.#options.preparer?.from ?? null;
  }

  /** Position ids with a transaction on the wire: the engine plans nothing new for them. */
  inFlightPositions(): Set<string> {
    return new Set([...this.#inFlight.values()].map((tracked) => tracked.positionId));
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  inFlight(): readonly TrackedExecution[] {
    return [...this.#inFlight.values()];
  }

  /** Takes over a transaction found in flight by restart reconciliation. */
  adopt(tracked: TrackedExecution): void {
    this.#inFlight.set(tracked.planId, tracked);
  }

  async execute(plan: LiquidationPlan, context: ExecutionContext): Promise<ExecutionReport> {
    const { journal, metrics, logger } = this.#options;
    const log = logger.child({ planId: plan.id });
    // Plan ids are per opportunity and block: one seen twice is not tried twice while it may still be
    // on the wire or has landed. An attempt that ended without landing (dropped after a restart,
    // reverted, replaced) may be tried again, under a new id, as any new opportunity would.
    const retryId = this.#retryIdFor(plan.id);
    if (retryId === null) {
      const state = journal.getExecution(plan.id)?.state;
      return { status: "duplicate", planId: plan.id, detail: `plan ${plan.id} is already journaled (state "${state}")` };
    }
    const retryIndex = retryId === plan.id ? 0 : Number(retryId.slice(retryId.lastIndexOf("#") + 1)) - 1;
    if (retryId !== plan.id) plan = { ...plan, id: retryId };

    await this.#options.hooks?.beforeSimulate?.(plan);
    let simulation: SimulationOutcome;
    try {
      simulation = await this.#options.simulator.simulate(plan, context.headBlock, { profitShortfall: context.profitShortfall });
    } catch (error) {
      // An encoding or configuration error: the plan cannot be simulated, so it is not sent.
      simulation = {
        ok: false,
        stage: "profit-probe",
        failure: { kind: "transport", summary: messageOf(error) },
        detail: `simulation could not run: ${messageOf(error)}`,
      };
    }
    // The journal rows of a plan are written after its simulation, in one commit with what follows,
    // so the reaction path pays one fsync (the intent's) before signing instead of three.
    const planned = () => journal.planExecution(plan, { mode: context.mode });
    if (!simulation.ok) {
      metrics.simulations.labels(simulation.failure.kind === "revert" ? "revert" : "error").inc();
      const failure = simulation;
      journal.atomically(() => {
        planned();
        journal.markFailed(plan.id, { error: `simulation failed: ${failure.detail}` });
      });
      log.info({ stage: simulation.stage, reason: simulation.failure.summary }, "plan failed simulation; not sent");
      return { status: "simulation-failed", planId: plan.id, detail: simulation.detail };
    }
    metrics.simulations.labels("success").inc();
    // The expectation the journal and the breaker judge the outcome by: the simulation, less what this
    // keeper's own earlier sales in the block will take off it.
    const profitUsd = this.#tokenUsd(plan.profitToken, simulation.expectedProfit);
    const success = simulation;
    const simulated = () =>
      journal.markSimulated(plan.id, {
        expectedProfit: success.expectedProfit,
        expectedProfitUsd: profitUsd ?? plan.expectedProfitUsd,
        gasUnitsEstimate: success.gasEstimate,
        detail:
          `simulated profit ${success.simulatedProfit}` +
          (success.expectedProfit !== success.simulatedProfit ? ` (${success.expectedProfit} after this block's earlier own sales)` : "") +
          `, minProfit ${success.minProfit}, gas limit ${success.gasLimit}`,
      });
    const notSent = (reason: string) =>
      journal.atomically(() => {
        planned();
        simulated();
        journal.markDropped(plan.id, reason);
      });

    if (context.mode === "DRY") {
      notSent("dry-run: simulated and journaled, not sent");
      return {
        status: "dry-run",
        planId: plan.id,
        simulatedProfit: simulation.simulatedProfit,
        decisionMs: this.#latencyClock() - context.seenAtMs,
      };
    }
    const { preparer, broadcaster } = this.#options;
    if (preparer === null || broadcaster === null) {
      notSent("LIVE without a signing key or send endpoint: not sent");
      return { status: "not-sent", planId: plan.id, detail: "no signing key or send endpoint configured" };
    }

    let prepared: PreparedTx;
    try {
      prepared = await preparer.prepare(
        {
          to: this.#options.executor,
          data: simulation.calldata,
          gasLimit: simulation.gasLimit,
          // A retry in the same block at the same nonce would otherwise be byte for byte the attempt it
          // retries (same plan, same state): a wei more per retry keeps every transaction distinct, so
          // each hash belongs to exactly one journaled execution.
          priorityFeePerGas: (plan.priorityFeePerGas ?? 0n) + BigInt(retryIndex),
        },
        { executionId: plan.id },
      );
    } catch (error) {
      notSent(`not sent: ${messageOf(error)}`);
      return { status: "not-sent", planId: plan.id, detail: messageOf(error) };
    }
    try {
      // Committed (and, with synchronous=FULL, fsynced) before anything is signed.
      journal.atomically(() => {
        planned();
        simulated();
        journal.recordIntent(plan.id, {
          signer: prepared.from,
          nonce: prepared.nonce,
          maxFeePerGas: prepared.fees.maxFeePerGas,
          maxPriorityFeePerGas: prepared.fees.maxPriorityFeePerGas,
        });
      });
    } catch (error) {
      // Nothing was signed: the nonce goes back, and the execution cannot be on the wire.
      await preparer.nonces.abandon(prepared.nonce);
      if (error instanceof JournalError) return { status: "duplicate", planId: plan.id, detail: error.message };
      throw error;
    }
    const signed = await preparer.sign(prepared);
    const decisionMs = this.#latencyClock() - context.seenAtMs;
    journal.markSigned(plan.id, {
      txHash: signed.hash,
      signer: prepared.from,
      nonce: prepared.nonce,
      maxFeePerGas: prepared.fees.maxFeePerGas,
      maxPriorityFeePerGas: prepared.fees.maxPriorityFeePerGas,
      gasLimit: prepared.gasLimit,
    });
    await this.#options.hooks?.afterSigned?.(plan.id, signed);

    try {
      const report = await broadcaster.broadcast(signed);
      journal.markSent(plan.id, report.alreadyIncluded ? "already included" : `accepted by ${report.acceptedBy.join(", ")}`);
    } catch (error) {
      // The local nonce count is no longer trustworthy after a failed send: read the chain again.
      await preparer.nonces.resync().catch(() => undefined);
      const detail = `broadcast refused: ${messageOf(error)}`;
      // Nobody accepted the transaction: it is not on the wire. (A lost acceptance would still show
      // up as a receipt: restart reconciliation looks the hash up before the nonce is reused.)
      journal.markDropped(plan.id, detail);
      log.warn({ txHash: signed.hash, error: messageOf(error) }, "broadcast refused");
      return { status: "not-sent", planId: plan.id, detail };
    }
    metrics.transactionsSent.inc();
    this.#options.races?.noteOwnTransaction(signed.hash);
    const tracked: TrackedExecution = {
      planId: plan.id,
      borrower: plan.candidate.key.borrower,
      positionId: positionKeyId(plan.candidate.key),
      profitToken: plan.profitToken,
      simulatedProfit: simulation.expectedProfit,
      gasEstimate: simulation.gasEstimate,
      attempts: [signed],
      sentAtBlock: context.headBlock,
      sentAtMs: this.#clock(),
      trigger: context.trigger,
      lastAttemptBlock: context.headBlock,
      bumps: 0,
    };
    this.#inFlight.set(plan.id, tracked);
    this.#options.onOutcome({
      kind: "submitted",
      planId: plan.id,
      borrower: plan.candidate.key.borrower,
      debtValueUsd: plan.candidate.debtToCoverUsd,
      at: context.at,
    });
    log.info({ txHash: signed.hash, nonce: prepared.nonce, decisionMs }, "liquidation sent");
    await this.#options.hooks?.afterBroadcast?.(plan.id, signed);
    return {
      status: "sent",
      planId: plan.id,
      txHash: signed.hash,
      nonce: prepared.nonce,
      simulatedProfit: simulation.simulatedProfit,
      minProfit: simulation.minProfit,
      decisionMs,
    };
  }

  /** The id to journal this plan under: its own, a retry id after attempts that did not land, or null. */
  #retryIdFor(planId: string): string | null {
    const { journal } = this.#options;
    let id = planId;
    for (let attempt = 2; ; attempt++) {
      const existing = journal.getExecution(id);
      if (existing === undefined) return id;
      if (existing.state === "included" || !isTerminalExecutionState(existing.state)) return null;
      id = `${planId}#${attempt}`;
    }
  }

  /** Looks for receipts of every tracked transaction; bumps or cancels the ones past their budget. */
  async settle(headBlock: number, at: Instant): Promise<SettlementReport> {
    const included: SettlementReport["included"][number][] = [];
    const failed: { planId: string; detail: string }[] = [];
    const lost: { planId: string; rival: RivalLiquidation }[] = [];
    const replaced: { planId: string; txHash: string; kind: "replacement" | "cancel" }[] = [];
    for (const tracked of [...this.#inFlight.values()]) {
      const receipt = await this.#findReceipt(tracked);
      if (receipt !== null) {
        const result = this.#settleReceipt(tracked, receipt, at);
        if (result.kind === "included")
          included.push({
            planId: tracked.planId,
            blockNumber: receipt.blockNumber,
            realisedProfitUsd: result.realisedProfitUsd,
            priceToInclusion: result.priceToInclusion,
          });
        else {
          failed.push({ planId: tracked.planId, detail: result.detail });
          if (result.rival !== undefined) lost.push({ planId: tracked.planId, rival: result.rival });
        }
        continue;
      }
      if (headBlock - tracked.lastAttemptBlock < this.#budget) continue;
      const replacement = await this.#replace(tracked, headBlock, at);
      if (replacement !== null) replaced.push(replacement);
    }
    return { included, failed, lost, replaced };
  }

  /** Someone else's liquidation of this position between our send and `untilBlock`, if there was one. */
  #rivalOf(tracked: TrackedExecution, untilBlock: number): RivalLiquidation | null {
    return (
      this.#options.races?.firstRival(marketOfPositionId(tracked.positionId), tracked.borrower, tracked.sentAtBlock, untilBlock) ?? null
    );
  }

  #priceToInclusion(tracked: TrackedExecution, blockNumber: number): { blocks: number; ms?: number } | undefined {
    const trigger = tracked.trigger;
    if (trigger === undefined) return undefined;
    const blocks = blockNumber - trigger.blockNumber;
    const landedMs = this.#options.blockTimestampMs?.(blockNumber);
    const ms = landedMs === undefined || trigger.timestampMs === undefined ? undefined : landedMs - trigger.timestampMs;
    this.#options.metrics.priceToInclusionBlocks.observe(blocks);
    if (ms !== undefined) this.#options.metrics.priceToInclusionMs.observe(ms);
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
    | { kind: "failed"; detail: string; rival?: RivalLiquidation } {
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
      metrics.races.labels("won").inc();
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
      journal.atomically(() => {
        journal.markFailed(tracked.planId, { error: detail, receipt: facts });
        journal.recordSystemEvent({
          kind: "race_lost",
          actor: "keeper",
          detail,
          data: {
            planId: tracked.planId,
            borrower,
            rivalTx: rival.txHash,
            rivalBlock: rival.blockNumber,
            ours: receipt.status === 1 ? "cancelled" : "reverted",
          },
        });
      });
      metrics.executions.labels("failed").inc();
      metrics.races.labels("lost").inc();
      this.#options.onOutcome({ kind: "failed", planId: tracked.planId, borrower, failure: "lost-race", lossUsd, at });
      return { kind: "failed", detail, rival };
    }
    if (receipt.status === 1) {
      journal.markReplaced(tracked.planId, { detail: "cancelled: the zero-value self-transfer took the nonce", receipt: facts });
      metrics.executions.labels("replaced").inc();
      this.#options.onOutcome({ kind: "failed", planId: tracked.planId, borrower, failure: "not-included", lossUsd, at });
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
    const stuck: PreparedTx = tracked.bumps >= this.#maxBumps ? { ...newest.prepared, kind: "cancel" } : newest.prepared;
    let next: PreparedTx;
    try {
      next = await preparer.prepareReplacement(stuck, newest.hash);
    } catch (error) {
      if (!(error instanceof FeesExhaustedError)) throw error;
      // Nothing more to bid: leave the last transaction to land or expire (its deadline block passes).
      tracked.lastAttemptBlock = headBlock;
      logger.warn({ planId: tracked.planId, reason: error.message }, "cannot replace a stuck transaction further");
      return null;
    }
    const signed = await preparer.sign(next);
    const kind = next.kind === "cancel" ? "cancel" : "replacement";
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
    tracked.lastAttemptBlock = headBlock;
    tracked.bumps += 1;
    try {
      await broadcaster.broadcast(signed);
      metrics.transactionsSent.inc();
      this.#options.races?.noteOwnTransaction(signed.hash);
    } catch (error) {
      // A refused replacement usually means the earlier attempt just landed: the next settle sees it.
      await preparer.nonces.resync().catch(() => undefined);
      logger.warn({ planId: tracked.planId, txHash: signed.hash, error: messageOf(error) }, "replacement refused");
    }
    logger.info(
      { planId: tracked.planId, txHash: signed.hash, kind },
      kind === "cancel" ? "cancelling a stuck liquidation" : "fee-bumped a stuck liquidation",
    );
    return { planId: tracked.planId, txHash: signed.hash, kind };
  }

  #tokenUsd(token: Address, amount: bigint): number | undefined {
    const usd = this.#options.prices.usdPerToken(token);
    if (usd === undefined) return undefined;
    const decimals = this.#options.prices.decimalsOf(token);
    const scale = 10n ** BigInt(decimals);
    return (Number(amount / scale) + Number(amount % scale) / Number(scale)) * usd;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
