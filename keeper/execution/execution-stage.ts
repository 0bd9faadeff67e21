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
import type { Address, LiquidationPlan } from "../core/types";
import { beforeSimulation, type ExecutionContext } from "./execution-context";
import { JournalError, type Journal } from "../journal/journal";
import { isTerminalExecutionState } from "../journal/execution-lifecycle";
import type { ExecutionOutcome } from "../risk/execution-outcome";
import type { Instant } from "../risk/instant";
import type { KeeperMetrics } from "../telemetry/metrics";
import type { Logger } from "../telemetry/logger";
import type { NonceBlock, TransactionPreparer } from "../submit/transaction-preparer";
import type { PreparedTx, SignedTx } from "../submit/types";
import { broadcastAfterEarlierNonces, type SignedTxBroadcaster } from "./broadcast";
import type { PlanSimulator, SimulationOutcome } from "./plan-simulator";
import type { FullReceiptLike } from "./receipt-facts";
import { memberReport, singleRequest, type BatchChoice } from "./batch-choice";
import { simulateBatchesFirst } from "./batch-first";
import type { RaceLedger } from "./race-ledger";
import { InFlightSettler, tokenUsd, trackedExecution, type TrackedExecution, type SettlementReport } from "./settlement";
import { errorMessage } from "../core/error-message";
import type { ExecutionReport } from "./execution-report";

export type { TrackedExecution, SettlementReport } from "./settlement";

/** Chain reads for tracking; an ethers Provider satisfies them. */
export interface ExecutionChain {
  getTransactionReceipt(hash: string): Promise<FullReceiptLike | null>;
  getTransaction(hash: string): Promise<{ readonly hash: string } | null>;
  getTransactionCount(address: string, blockTag: "latest"): Promise<number>;
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
  /**
   * A position's state as the markets know it now: a reverted transaction whose positions are all "not-liquidatable"
   * (healthy, or closed) lost its race even with no rival's liquidation seen (settlement.ts).
   */
  readonly positionState?: (positionId: string) => "liquidatable" | "not-liquidatable" | "unknown";
  /** A block's millisecond time (Denim's timestampMs) when known, for oracle-update-to-inclusion latency. */
  readonly blockTimestampMs?: (blockNumber: number) => number | undefined;
}

export type { PriceTrigger, ExecutionContext } from "./execution-context";
export { beforeSimulation } from "./execution-context";
export type { ExecutionReport } from "./execution-report";

export class ExecutionStage {
  readonly #options: ExecutionStageOptions;
  readonly #clock: () => number;
  readonly #latencyClock: () => number;
  readonly #budget: number;
  readonly #maxBumps: number;
  readonly #inFlight = new Map<string, TrackedExecution>();
  readonly #settler: InFlightSettler;

  constructor(options: ExecutionStageOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#latencyClock = options.latencyClock ?? (() => performance.now());
    this.#budget = options.inclusionBlockBudget ?? 3;
    this.#maxBumps = options.maxBumps ?? 2;
    if (!Number.isInteger(this.#budget) || this.#budget < 1)
      throw new Error(`inclusionBlockBudget must be a positive integer, got ${this.#budget}`);
    this.#settler = new InFlightSettler(options, this.#inFlight, { budget: this.#budget, maxBumps: this.#maxBumps, clock: this.#clock });
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
    return new Set([...this.#inFlight.values()].flatMap((tracked) => [tracked.positionId, ...tracked.members.map((m) => m.positionId)]));
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  inFlight(): readonly TrackedExecution[] {
    return [...this.#inFlight.values()];
  }

  /**
   * Stops tracking every transaction in flight (this keeper lost the journal's leader lease: the new
   * leader reconciles them from the journal). Returns how many there were.
   */
  forgetInFlight(): number {
    const count = this.#inFlight.size;
    this.#inFlight.clear();
    return count;
  }

  /** Re-reads the key's next nonce from the chain (taking over from another keeper that used the key). */
  async resyncNonces(): Promise<void> {
    await this.#options.preparer?.nonces.resync();
    await this.#options.preparer?.reloadNonceBlock(); // a block the last leader recorded (journal) stops sends at once
  }

  /** Takes over a transaction found in flight by restart reconciliation. */
  adopt(tracked: TrackedExecution): void {
    this.#inFlight.set(tracked.planId, tracked);
  }

  async execute(plan: LiquidationPlan, context: ExecutionContext): Promise<ExecutionReport> {
    return (await this.executeMany([{ plan, context }]))[0]!;
  }

  /**
   * Executes plans in rank order: their simulations all at once, then, in order, journal → sign → send for each. With
   * `batch`, plans that share a flash loan and a profit token are simulated as liquidateBatch pieces first and go as
   * those batches when they stand; only a failed piece's members are simulated alone (batch-first.ts). Reports come back
   * in the order given; a batch member's report names the batch's execution.
   */
  async executeMany(
    items: readonly { readonly plan: LiquidationPlan; readonly context: ExecutionContext }[],
    options: { readonly batch?: boolean } = {},
  ): Promise<ExecutionReport[]> {
    const reports: (ExecutionReport | null)[] = items.map(() => null);
    const runnable: { index: number; plan: LiquidationPlan; context: ExecutionContext; retryIndex: number }[] = [];
    for (const [index, item] of items.entries()) {
      // Plan ids are per opportunity and block: one seen twice is not tried twice while it may still be
      // on the wire or has landed. An attempt that ended without landing (dropped after a restart,
      // reverted, replaced) may be tried again, under a new id, as any new opportunity would.
      const retryId = this.#retryIdFor(item.plan.id);
      if (retryId === null) {
        const state = this.#options.journal.getExecution(item.plan.id)?.state;
        reports[index] = {
          status: "duplicate",
          planId: item.plan.id,
          detail: `plan ${item.plan.id} is already journaled (state "${state}")`,
        };
        continue;
      }
      const retryIndex = retryId === item.plan.id ? 0 : Number(retryId.slice(retryId.lastIndexOf("#") + 1)) - 1;
      const plan = retryId === item.plan.id ? item.plan : { ...item.plan, id: retryId };
      await this.#options.hooks?.beforeSimulate?.(plan);
      runnable.push({ index, plan, context: item.context, retryIndex });
    }
    const simulationStartedAt = this.#latencyClock();
    let simulations: SimulationOutcome[];
    let batches = new Map<number, BatchChoice>();
    try {
      if (options.batch === true) {
        // Batches first: a plan that goes in a batch that stands is never simulated alone (batch-first.ts).
        ({ simulations, batches } = await simulateBatchesFirst(runnable, this.#options));
      } else {
        const fresh = runnable.filter((r) => r.context.prepared !== true);
        const simulated = await this.#options.simulator.simulateMany(fresh.map((r) => singleRequest(r)));
        simulations = runnable.map((r) =>
          r.context.prepared === true ? this.#options.simulator.prepared(r.plan, r.context.headBlock) : simulated[fresh.indexOf(r)]!,
        );
      }
    } catch (error) {
      // An encoding or configuration error: the plans cannot be simulated, so none is sent.
      const failure: SimulationOutcome = {
        ok: false,
        stage: "profit-probe",
        failure: { kind: "transport", summary: errorMessage(error) },
        detail: `simulation could not run: ${errorMessage(error)}`,
      };
      simulations = runnable.map(() => failure);
      batches = new Map();
    }
    const clocks = { simulationStartedAt, simulatedAt: this.#latencyClock() };
    const batched = new Set([...batches.values()].flatMap((choice) => choice.members.map((member) => member.position)));
    // Signed one after another (nonce order), sent all at once: a plan's send never waits for the answer to the one
    // before it (the quick start's second prepared plan waited 700 ms for the first's eth_sendRawTransaction); each is
    // told of the sends before it, as they may reach the node out of order (broadcastAfterEarlierNonces).
    const sends: Promise<void>[] = [];
    const settleWith = (submitted: SubmitResult, place: (report: ExecutionReport) => void) => {
      if (typeof submitted === "function") sends.push(submitted(sends.length === 0 ? null : Promise.allSettled([...sends])).then(place));
      else place(submitted);
    };
    for (const [position, run] of runnable.entries()) {
      const choice = batches.get(position);
      if (choice !== undefined) {
        const lead = runnable[choice.members[0]!.position]!;
        const others = choice.members.slice(1).map((m) => runnable[m.position]!.plan);
        const submitted = await this.#submit(lead.plan, choice.simulation, lead.context, lead.retryIndex, clocks, others);
        settleWith(submitted, (report) => {
          for (const member of choice.members) {
            const at = runnable[member.position]!;
            reports[at.index] = member.position === choice.members[0]!.position ? report : memberReport(report, at.plan);
          }
        });
        continue;
      }
      if (batched.has(position)) continue;
      settleWith(await this.#submit(run.plan, simulations[position]!, run.context, run.retryIndex, clocks), (report) => {
        reports[run.index] = report;
      });
    }
    await Promise.all(sends);
    return reports.map((report, index) => report ?? { status: "not-sent", planId: items[index]!.plan.id, detail: "not executed" });
  }

  /**
   * The post-simulation path of one transaction (a plan, or a batch led by `plan`): journal → sign, then the send,
   * returned for the caller to start (a report instead when nothing is to be sent).
   */
  async #submit(
    plan: LiquidationPlan,
    simulation: SimulationOutcome,
    context: ExecutionContext,
    retryIndex: number,
    clocks: { readonly simulationStartedAt: number; readonly simulatedAt: number },
    batchMembers: readonly LiquidationPlan[] = [],
  ): Promise<SubmitResult> {
    const { journal, metrics, logger } = this.#options;
    const log = logger.child({ planId: plan.id });
    const submitStartedAt = this.#latencyClock();
    // The journal rows of a plan are written after its simulation, in one commit with what follows,
    // so the reaction path pays one fsync (the intent's) before signing instead of three.
    const planned = () => journal.planExecution(plan, { mode: context.mode });
    const members = batchMembers.map((member) => member.candidate.key.borrower);
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
          `, minProfit ${success.minProfit}, gas limit ${success.gasLimit}` +
          (members.length > 0 ? `; liquidateBatch with ${members.length} more: ${members.join(", ")}` : ""),
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
        ...(members.length > 0 ? { members } : {}),
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
      notSent(`not sent: ${errorMessage(error)}`);
      return { status: "not-sent", planId: plan.id, detail: errorMessage(error) };
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
          deadlineBlock: simulation.deadlineBlock, // whoever settles it (a new leader too) cancels it past this block
        });
      });
    } catch (error) {
      // Nothing was signed: the nonce goes back, and the execution cannot be on the wire.
      await preparer.nonces.abandon(prepared.nonce);
      if (error instanceof JournalError) return { status: "duplicate", planId: plan.id, detail: error.message };
      throw error;
    }
    const journaledAt = this.#latencyClock();
    const signed = await preparer.sign(prepared);
    const signedAt = this.#latencyClock();
    const decisionMs = signedAt - context.seenAtMs;
    journal.markSigned(plan.id, {
      txHash: signed.hash,
      signer: prepared.from,
      nonce: prepared.nonce,
      maxFeePerGas: prepared.fees.maxFeePerGas,
      maxPriorityFeePerGas: prepared.fees.maxPriorityFeePerGas,
      gasLimit: prepared.gasLimit,
    });
    // Ours from the moment it exists: it may land (and its liquidation be read as someone else's) before the send
    // endpoints have even answered, while a tick's bookkeeping runs beside this reaction.
    this.#options.races?.noteOwnTransaction(signed.hash);
    await this.#options.hooks?.afterSigned?.(plan.id, signed);
    const times = { submitStartedAt, journaledAt, signedAt, decisionMs };
    return (earlierSends) => this.#send(plan, signed, prepared, context, clocks, times, success, batchMembers, earlierSends);
  }

  /** Broadcasts a signed transaction (intent and hash already on disk) and starts tracking it. */
  async #send(
    plan: LiquidationPlan,
    signed: SignedTx,
    prepared: PreparedTx,
    context: ExecutionContext,
    clocks: { readonly simulationStartedAt: number; readonly simulatedAt: number },
    times: { readonly submitStartedAt: number; readonly journaledAt: number; readonly signedAt: number; readonly decisionMs: number },
    simulation: Extract<SimulationOutcome, { ok: true }>,
    batchMembers: readonly LiquidationPlan[],
    earlierSends: Promise<unknown> | null,
  ): Promise<ExecutionReport> {
    const { journal, metrics, logger } = this.#options;
    const members = batchMembers.map((member) => member.candidate.key.borrower);
    const { submitStartedAt, journaledAt, signedAt, decisionMs } = times;
    const log = logger.child({ planId: plan.id });
    // Only reached through the signing step, which returned early when either is missing.
    const preparer = this.#options.preparer!;
    const broadcaster = this.#options.broadcaster!;
    try {
      // The deadline goes with it: a plan that could only land after it is refused before it leaves (the fence).
      const request = { raw: signed.raw, hash: signed.hash, deadlineBlock: simulation.deadlineBlock };
      const report = await broadcastAfterEarlierNonces(broadcaster, request, earlierSends);
      journal.markSent(plan.id, report.alreadyIncluded ? "already included" : `accepted by ${report.acceptedBy.join(", ")}`);
    } catch (error) {
      const detail = `broadcast refused: ${errorMessage(error)}`;
      // The signed transaction holds its nonce. Given back when it was the last one handed out: dropped, and the next
      // transaction takes the nonce. (A lost acceptance would still show up as a receipt: restart reconciliation looks
      // the hash up before the nonce is reused.)
      if (!(await preparer.nonces.giveBack(prepared.nonce, () => journal.markDropped(plan.id, detail)))) {
        // A later nonce of the key has left (signed after this one, in this chunk or another): dropped, this nonce
        // would be a gap every later transaction waits behind for good (a quick start's busy step once stranded 11
        // liquidations so, each bumped and cancelled 40 times at its own nonce). Kept in flight as an attempt no node
        // holds: the next settle sends it again with higher fees, or a cancel past its deadline (settlement.ts); the
        // positions wait for that, then retry.
        journal.markAttemptRefused(plan.id, signed.hash);
        const sent = { context, deadlineBlock: simulation.deadlineBlock, atMs: this.#clock(), refused: true };
        this.#inFlight.set(plan.id, trackedExecution(plan, signed, sent, simulation, batchMembers));
        log.warn({ txHash: signed.hash, nonce: prepared.nonce, error: errorMessage(error) }, "broadcast refused; its nonce is kept");
        return {
          status: "not-sent",
          planId: plan.id,
          detail: `${detail}; nonce ${prepared.nonce} is re-sent or cancelled at the next block`,
        };
      }
      // The local count is no longer trustworthy after a failed send (the chain may have moved): read it again.
      await preparer.nonces.resync().catch(() => undefined);
      log.warn({ txHash: signed.hash, error: errorMessage(error) }, "broadcast refused");
      return { status: "not-sent", planId: plan.id, detail };
    }
    metrics.transactionsSent.inc();
    const stages = {
      // Price seen → the chunk's simulation starts, split where the reaction pipeline marked it (ReactionMarks).
      ...beforeSimulation(context, clocks.simulationStartedAt),
      simulate: round2(clocks.simulatedAt - clocks.simulationStartedAt),
      // Behind earlier plans of the same chunk.
      queue: round2(submitStartedAt - clocks.simulatedAt),
      journal: round2(journaledAt - submitStartedAt),
      sign: round2(signedAt - journaledAt),
      send: round2(this.#latencyClock() - signedAt),
    };
    const sent = { context, deadlineBlock: simulation.deadlineBlock, atMs: this.#clock() };
    const tracked = trackedExecution(plan, signed, sent, simulation, batchMembers);
    this.#inFlight.set(plan.id, tracked);
    this.#options.onOutcome({
      kind: "submitted",
      planId: plan.id,
      borrower: plan.candidate.key.borrower,
      // A liquidateBatch repays every member's debt: the day's volume counts them all, not the lead's alone.
      debtValueUsd: batchMembers.reduce((sum, member) => sum + member.candidate.debtToCoverUsd, plan.candidate.debtToCoverUsd),
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
      stages,
      ...(members.length > 0 ? { members } : {}),
      ...(context.prepared === true ? { prepared: true } : {}),
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
  /** The key's blocked nonce (no cancel within the fee ceiling can replace it), or null. */
  get nonceBlock(): NonceBlock | null {
    return this.#options.preparer?.nonceBlock ?? null;
  }

  settle(headBlock: number, at: Instant): Promise<SettlementReport> {
    return this.#settler.settle(headBlock, at);
  }

  #tokenUsd(token: Address, amount: bigint): number | undefined {
    return tokenUsd(this.#options.prices, token, amount);
  }
}

/** A report when nothing is to be sent; else the send, told of the sends before it in the same call (null: none). */
type SubmitResult = ExecutionReport | ((earlierSends: Promise<unknown> | null) => Promise<ExecutionReport>);

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
