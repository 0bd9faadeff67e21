/**
 * The journal on each backend: the execution life cycle (every allowed transition, none other), bigints stored
 * exactly, open intents, crash consistency, concurrent connections and the smaller tables. Its schema and migrations
 * are in journal-migrations.test.ts.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { EXECUTION_STATES, type ExecutionState } from "../../../../keeper/core/types";
import { ALLOWED_EXECUTION_TRANSITIONS, InvalidExecutionTransitionError } from "../../../../keeper/journal/execution-lifecycle";
import { Journal, JournalError } from "../../../../keeper/journal/journal";
import { JOURNAL_BACKENDS } from "../../../shared/journal-backends";
import { OPERATOR, attempt, makePlan, plannedDecision, skippedDecision, txHash } from "./journal-fixtures";
import { journalHarness } from "./journal-harness";

const intentFor = (nonce = 7) => ({ signer: OPERATOR, nonce, maxFeePerGas: 10_000_000n, maxPriorityFeePerGas: 1_000_000n });

for (const backend of JOURNAL_BACKENDS)
  describe(`Journal (${backend.name})`, function () {
    this.timeout(60_000);
    const h = journalHarness(backend);
    const { open, raw, runs } = h;

    describe("#execution life cycle", () => {
      it("walks planned → simulated → intent_recorded → signed → sent → included and records each transition", () => {
        let now = 1_700_000_000_000;
        const journal = open({ clock: () => now++ });
        const plan = makePlan();
        journal.planExecution(plan, { mode: "LIVE" });
        journal.markSimulated(plan.id, { expectedProfit: 440n * 10n ** 6n, expectedProfitUsd: 440 });
        journal.recordIntent(plan.id, intentFor());
        journal.markSigned(plan.id, attempt(1));
        journal.markSent(plan.id);
        const settled = journal.markIncluded(plan.id, {
          txHash: txHash(1),
          blockNumber: 105,
          gasUsed: 700_000n,
          effectiveGasPrice: 6_000_000n,
          gasCostUsd: 0.013,
          realisedProfit: 438_500_000n,
          realisedProfitUsd: 438.5,
        });

        expect(settled.state).to.equal("included");
        expect(settled.expectedProfit).to.equal(440n * 10n ** 6n);
        expect(settled.gasCostWei).to.equal(700_000n * 6_000_000n);
        expect(settled.realisedProfit).to.equal(438_500_000n);
        expect(settled.sentAt).to.be.a("number");
        expect(settled.settledAt).to.be.greaterThan(settled.sentAt!);
        const history = journal.executionTransitions(plan.id);
        expect(history.map((h) => [h.fromState, h.toState])).to.deep.equal([
          [null, "planned"],
          ["planned", "simulated"],
          ["simulated", "intent_recorded"],
          ["intent_recorded", "signed"],
          ["signed", "sent"],
          ["sent", "included"],
        ]);
        expect(history.map((h) => h.at)).to.deep.equal([...history.map((h) => h.at)].sort((a, b) => a - b));
        expect(journal.txAttempts(plan.id).map((a) => a.status)).to.deep.equal(["included"]);
      });

      it("rejects moving backwards, skipping the intent, and leaving a terminal state", () => {
        const journal = open();
        const plan = makePlan();
        journal.planExecution(plan, { mode: "LIVE" });
        expect(() => journal.recordIntent(plan.id, intentFor())).to.throw(
          InvalidExecutionTransitionError,
          /"planned" to "intent_recorded"/,
        );
        journal.markSimulated(plan.id);
        expect(() => journal.markSigned(plan.id, attempt(1))).to.throw(InvalidExecutionTransitionError, /"simulated" to "signed"/);
        journal.recordIntent(plan.id, intentFor());
        journal.markSigned(plan.id, attempt(1));
        journal.markSent(plan.id);
        expect(() => journal.markSimulated(plan.id)).to.throw(InvalidExecutionTransitionError, /"sent" to "simulated"/);
        expect(() => journal.planExecution(plan, { mode: "LIVE" })).to.throw(JournalError, /already journaled \(state "sent"\)/);
        journal.markFailed(plan.id, { error: "reverted: InsufficientProfit(1, 2)" });
        expect(() =>
          journal.markIncluded(plan.id, {
            txHash: txHash(1),
            blockNumber: 1,
            gasUsed: 1n,
            effectiveGasPrice: 1n,
            realisedProfit: 1n,
            realisedProfitUsd: 1,
          }),
        ).to.throw(InvalidExecutionTransitionError, /"failed" is terminal/);
        expect(journal.getExecution(plan.id)!.state).to.equal("failed");
      });

      it("accepts exactly the transitions the life-cycle table allows, for any sequence of operations", () => {
        // Each plan gets its own tx hash: hashes are unique across the whole journal.
        type Op = { name: string; to: ExecutionState; run: (j: Journal, id: string, hash: string) => void };
        const receipt = (hash: string) => ({
          txHash: hash,
          blockNumber: 2,
          gasUsed: 1n,
          effectiveGasPrice: 1n,
          realisedProfit: 1n,
          realisedProfitUsd: 1,
        });
        const ops: Op[] = [
          { name: "simulate", to: "simulated", run: (j, id) => j.markSimulated(id) },
          { name: "intent", to: "intent_recorded", run: (j, id) => j.recordIntent(id, intentFor()) },
          { name: "sign", to: "signed", run: (j, id, hash) => j.markSigned(id, attempt(1, 7, { txHash: hash })) },
          { name: "send", to: "sent", run: (j, id) => j.markSent(id) },
          { name: "include", to: "included", run: (j, id, hash) => j.markIncluded(id, receipt(hash)) },
          { name: "fail", to: "failed", run: (j, id) => j.markFailed(id, { error: "x" }) },
          { name: "replace", to: "replaced", run: (j, id) => j.markReplaced(id, { detail: "nonce used by another tx" }) },
          { name: "drop", to: "dropped", run: (j, id) => j.markDropped(id, "dry-run") },
        ];
        const journal = open();
        let counter = 0;
        fc.assert(
          fc.property(fc.array(fc.integer({ min: 0, max: ops.length - 1 }), { maxLength: 8 }), (sequence) => {
            const hash = txHash(1_000 + counter);
            const id = `plan-${counter++}`;
            journal.planExecution(makePlan({ id }), { mode: "LIVE" });
            let state: ExecutionState = "planned";
            for (const index of sequence) {
              const op = ops[index];
              const allowedByTable = ALLOWED_EXECUTION_TRANSITIONS[state].includes(op.to);
              let accepted = true;
              try {
                op.run(journal, id, hash);
              } catch (error) {
                if (!(error instanceof InvalidExecutionTransitionError)) throw error;
                accepted = false;
              }
              expect(accepted, `${state} --${op.name}--> ${op.to}`).to.equal(allowedByTable);
              if (accepted) state = op.to;
              expect(journal.getExecution(id)!.state).to.equal(state);
            }
          }),
          { numRuns: runs(150) },
        );
        expect(EXECUTION_STATES.length).to.equal(Object.keys(ALLOWED_EXECUTION_TRANSITIONS).length);
      });

      it("keeps replacements on the intent's nonce and settles the attempt that was mined", () => {
        const journal = open();
        const plan = makePlan();
        journal.planExecution(plan, { mode: "LIVE" });
        journal.markSimulated(plan.id);
        journal.recordIntent(plan.id, intentFor(7));
        expect(() => journal.markSigned(plan.id, attempt(1, 8))).to.throw(JournalError, /nonce 8 but the intent recorded nonce 7/);
        journal.markSigned(plan.id, attempt(1, 7));
        journal.markSent(plan.id);
        expect(() => journal.recordReplacement(plan.id, attempt(2, 9), "replacement")).to.throw(JournalError, /nonce 9/);
        const second = journal.recordReplacement(plan.id, attempt(2, 7), "replacement");
        expect(second).to.include({ attempt: 2, kind: "replacement", status: "pending" });
        expect(journal.getExecution(plan.id)!.txHash).to.equal(txHash(2));
        expect(() =>
          journal.markIncluded(plan.id, {
            txHash: txHash(99),
            blockNumber: 1,
            gasUsed: 1n,
            effectiveGasPrice: 1n,
            realisedProfit: 1n,
            realisedProfitUsd: 1,
          }),
        ).to.throw(JournalError, /not one of its attempts/);

        journal.markIncluded(plan.id, {
          txHash: txHash(2),
          blockNumber: 110,
          gasUsed: 500_000n,
          effectiveGasPrice: 7n,
          realisedProfit: 1n,
          realisedProfitUsd: 1,
        });
        expect(journal.txAttempts(plan.id).map((a) => [a.attempt, a.status])).to.deep.equal([
          [1, "replaced"],
          [2, "included"],
        ]);
      });

      it("settles a cancel as replaced and counts the cancel's gas", () => {
        const journal = open();
        const plan = makePlan();
        journal.planExecution(plan, { mode: "LIVE" });
        journal.markSimulated(plan.id);
        journal.recordIntent(plan.id, intentFor(3));
        journal.markSigned(plan.id, attempt(1, 3));
        journal.markSent(plan.id);
        journal.recordReplacement(plan.id, attempt(2, 3), "cancel");
        const settled = journal.markReplaced(plan.id, {
          detail: "cancelled: stuck past deadline",
          receipt: { txHash: txHash(2), blockNumber: 120, gasUsed: 21_000n, effectiveGasPrice: 9n },
        });
        expect(settled.state).to.equal("replaced");
        expect(settled.gasCostWei).to.equal(21_000n * 9n);
        expect(journal.txAttempts(plan.id).map((a) => [a.kind, a.status])).to.deep.equal([
          ["original", "replaced"],
          ["cancel", "included"],
        ]);
      });
    });

    describe("#bigint storage", () => {
      it("round-trips any bigint exactly, including 256-bit and negative values", () => {
        const journal = open();
        let counter = 0;
        const uint256 = fc.bigUintN(256);
        fc.assert(
          fc.property(uint256, uint256, fc.bigIntN(256), (expectedProfit, fee, realised) => {
            const id = `big-${counter++}`;
            journal.planExecution(makePlan({ id, expectedProfit, flashFee: fee }), { mode: "LIVE", flashFeeUsd: 0 });
            journal.markSimulated(id);
            journal.recordIntent(id, { ...intentFor(), maxFeePerGas: fee, maxPriorityFeePerGas: expectedProfit });
            journal.markSigned(
              id,
              attempt(counter, 7, { maxFeePerGas: fee, maxPriorityFeePerGas: expectedProfit, txHash: txHash(counter) }),
            );
            journal.markSent(id);
            const back = journal.markIncluded(id, {
              txHash: txHash(counter),
              blockNumber: 1,
              gasUsed: fee,
              effectiveGasPrice: expectedProfit,
              realisedProfit: realised,
              realisedProfitUsd: 0,
            });
            expect(back.expectedProfit).to.equal(expectedProfit);
            expect(back.flashFee).to.equal(fee);
            expect(back.realisedProfit).to.equal(realised);
            expect(back.gasCostWei).to.equal(fee * expectedProfit);
            expect(journal.txAttempts(id)[0].maxFeePerGas).to.equal(fee);
          }),
          { numRuns: runs(60) },
        );
      });
    });

    describe("#openIntents", () => {
      it("returns exactly the executions that may be on the wire, with their attempts", () => {
        const journal = open();
        const ids = ["planned", "simulated", "intent", "signed", "sent", "included", "dropped"].map((s) => `p-${s}`);
        ids.forEach((id) => journal.planExecution(makePlan({ id }), { mode: "LIVE" }));
        for (const id of ids.slice(1)) journal.markSimulated(id);
        journal.recordIntent("p-intent", intentFor(1));
        for (const [i, id] of ["p-signed", "p-sent", "p-included"].entries()) {
          journal.recordIntent(id, intentFor(10 + i));
          journal.markSigned(id, attempt(10 + i, 10 + i));
        }
        journal.markSent("p-sent");
        journal.markSent("p-included");
        journal.markIncluded("p-included", {
          txHash: txHash(12),
          blockNumber: 3,
          gasUsed: 1n,
          effectiveGasPrice: 1n,
          realisedProfit: 1n,
          realisedProfitUsd: 1,
        });
        journal.markDropped("p-dropped", "dry-run");

        const open_ = journal.openIntents();
        expect(open_.map((o) => o.execution.planId)).to.deep.equal(["p-intent", "p-signed", "p-sent"]);
        expect(open_.map((o) => o.attempts.map((a) => a.txHash))).to.deep.equal([[], [txHash(10)], [txHash(11)]]);
      });
    });

    describe("#crash consistency", () => {
      it("keeps a signed intent open after the writing process is SIGKILLed, and lets reconciliation settle it", function () {
        this.timeout(120_000);
        const child = spawnSync(
          process.execPath,
          ["-r", "ts-node/register", path.join(__dirname, "crash-writer.ts"), h.journalPath, "crash-plan"],
          { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" }, encoding: "utf8" },
        );
        expect(child.signal, child.stderr).to.equal("SIGKILL");

        const journal = open();
        const intents = journal.openIntents();
        expect(intents).to.have.length(1);
        expect(intents[0].execution).to.include({ planId: "crash-plan", state: "signed", nonce: 7, txHash: txHash(1) });
        expect(intents[0].attempts.map((a) => a.txHash)).to.deep.equal([txHash(1)]);
        journal.markIncluded("crash-plan", {
          txHash: txHash(1),
          blockNumber: 101,
          gasUsed: 1n,
          effectiveGasPrice: 1n,
          realisedProfit: 5n,
          realisedProfitUsd: 5,
        });
        expect(journal.openIntents()).to.have.length(0);
      });

      it("adopts the on-chain transaction when the crash came between signing and markSigned", () => {
        const journal = open();
        const plan = makePlan();
        journal.planExecution(plan, { mode: "LIVE" });
        journal.markSimulated(plan.id);
        journal.recordIntent(plan.id, intentFor(4));
        journal.close();

        const reopened = open();
        expect(reopened.openIntents().map((o) => o.execution.state)).to.deep.equal(["intent_recorded"]);
        reopened.markIncluded(plan.id, {
          txHash: txHash(4),
          blockNumber: 9,
          gasUsed: 1n,
          effectiveGasPrice: 1n,
          realisedProfit: 1n,
          realisedProfitUsd: 1,
        });
        expect(reopened.txAttempts(plan.id)).to.have.length(1);
        expect(reopened.txAttempts(plan.id)[0]).to.include({ txHash: txHash(4), nonce: 4, status: "included" });
      });
    });

    describe("#concurrent connections", () => {
      it("lets a reader see committed writes, never uncommitted ones, while another connection holds the write lock", () => {
        const writer = open();
        const plan = makePlan();
        writer.planExecution(plan, { mode: "LIVE" });
        const reader = open({ readonly: true });
        expect(reader.getExecution(plan.id)!.state).to.equal("planned");
        const impatient = open({ busyTimeoutMs: 50 });

        /** While another connection holds the journal's write lock with an uncommitted change: */
        const whileLocked = () => {
          // The reader is not blocked by the open write transaction and sees the committed state.
          expect(reader.getExecution(plan.id)!.state).to.equal("planned");
          expect(writer.checkWritable()).to.deep.include({ ok: false });
          expect(() => impatient.enqueueControlRequest("resume", { reason: "test" }, "tester")).to.throw(/locked|busy|lock timeout/i);
        };
        const lockHolder = raw();
        const ROLLED_BACK = new Error("roll back the lock holder's transaction");
        expect(() =>
          lockHolder.transaction(() => {
            lockHolder.run("UPDATE executions SET state = 'simulated' WHERE plan_id = ?", [plan.id]);
            whileLocked();
            throw ROLLED_BACK;
          }),
        ).to.throw(ROLLED_BACK.message);

        expect(writer.checkWritable()).to.deep.equal({ ok: true });
        impatient.enqueueControlRequest("resume", { reason: "test" }, "tester");
        expect(reader.pendingControlRequests()).to.have.length(1);
        expect(reader.getExecution(plan.id)!.state, "the uncommitted change never landed").to.equal("planned");
        expect(reader.checkWritable()).to.deep.equal({ ok: false, error: "journal was opened read-only" });
      });
    });

    describe("#opportunities, events, checkpoints, control requests, risk state", () => {
      it("journals planned and skipped decisions with their reasons", () => {
        const journal = open();
        const plan = makePlan();
        expect(journal.recordDecisions([plannedDecision(plan), skippedDecision(plan, "below-min-profit", "net $3 < $50")])).to.equal(2);
        const rows = journal.listOpportunities();
        expect(rows.map((r) => [r.decision, r.skipReason, r.planId])).to.deep.equal([
          ["planned", null, plan.id],
          ["skipped", "below-min-profit", null],
        ]);
        expect(rows[0].healthFactor).to.equal(plan.candidate.healthFactor);
        expect(rows[1].detail).to.equal("net $3 < $50");
      });

      it("queues a control request with its system event, completes it once, and validates payloads", () => {
        let now = 1_000;
        const journal = open({ clock: () => (now += 10) });
        const request = journal.enqueueControlRequest("mode", { mode: "LIVE", reason: "go" }, "task:keeper:mode by ops");
        expect(request).to.include({ kind: "mode", requestedBy: "task:keeper:mode by ops", appliedAt: null });
        expect(request.payload).to.deep.equal({ mode: "LIVE", reason: "go" });
        expect(journal.listSystemEvents({ kinds: ["control_request"] }).map((e) => e.detail)).to.deep.equal([
          `mode requested (#${request.id})`,
        ]);

        const done = journal.completeControlRequest(
          request.id,
          "rejected",
          "I_UNDERSTAND_LIVE_RISK is not true in the keeper's environment",
        );
        expect(done.outcome).to.equal("rejected");
        expect(journal.pendingControlRequests()).to.have.length(0);
        expect(() => journal.completeControlRequest(request.id, "applied", "again")).to.throw(JournalError, /already rejected/);
        expect(journal.listSystemEvents({ kinds: ["control_applied"] })).to.have.length(1);

        expect(() => journal.enqueueControlRequest("tier", { tier: 4 as 1 }, "x")).to.throw(JournalError, /payload.tier must be 1, 2 or 3/);
        expect(() => journal.enqueueControlRequest("resume", { reason: " " }, "x")).to.throw(JournalError, /payload.reason/);
        expect(() => journal.enqueueControlRequest("mode", { mode: "live" as "LIVE" }, "x")).to.throw(JournalError, /"DRY" or "LIVE"/);
        expect(journal.pendingControlRequests()).to.have.length(0);
      });

      it("stores checkpoints, system events and opaque risk state, and names unserialisable risk state", () => {
        const journal = open();
        journal.setCheckpoint("m:last", "10");
        journal.setCheckpoint("m:last", "11");
        expect(journal.getCheckpoint("m:last")).to.equal("11");
        expect(journal.getCheckpoint("absent")).to.equal(undefined);

        const event = journal.recordSystemEvent({
          kind: "breaker_transition",
          actor: "breaker",
          detail: "NORMAL → THROTTLED",
          data: { from: "NORMAL", to: "THROTTLED" },
        });
        expect(journal.listSystemEvents({ afterId: event.id - 1 })[0].data).to.deep.equal({ from: "NORMAL", to: "THROTTLED" });
        expect(() => journal.recordSystemEvent({ kind: "bogus" as "pause", actor: "x", detail: "y" })).to.throw(
          JournalError,
          /unknown system event kind "bogus"/,
        );

        journal.saveRiskState("breaker", { state: "HALTED", failures: 3 });
        expect(journal.loadRiskState("breaker")!.value).to.deep.equal({ state: "HALTED", failures: 3 });
        expect(() => journal.saveRiskState("daily", { loss: 1n })).to.throw(JournalError, /risk state "daily" must be JSON-serialisable/);
      });
    });
  });
