/**
 * A nonce stuck behind the cancel ceiling (the failover bench's trial 3: a cancel at nonce 10 needed 222 gwei
 * against a 200 gwei ceiling, and every later send queued behind that nonce without a word):
 *   - the cancel's fee gives way to the +10% nodes require at the ceiling, instead of giving up;
 *   - only when even that is above the ceiling is the nonce blocked: nothing new is prepared (no nonce reserved),
 *     the operator is told which nonce and why (alert, gauges, NonceBlock for /status), and the block clears
 *     itself once the chain shows the nonce mined.
 * The chain is a counting double for `getTransactionCount(latest)`; signing is a real ethers Wallet.
 */
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { Registry } from "prom-client";
import type { Alert } from "../../../../keeper/alerts/alert";
import type { Address } from "../../../../keeper/core/types";
import { replacementDecision } from "../../../../keeper/submit/fee-policy";
import { NONCE_BLOCKED_ALERT_KEY, nonceBlockReporter, recordedNonceBlockFollower } from "../../../../keeper/submit/nonce-block-report";
import { NonceManager } from "../../../../keeper/submit/nonce-manager";
import {
  FeesExhaustedError,
  NonceBlockedError,
  TransactionPreparer,
  type NonceBlock,
} from "../../../../keeper/submit/transaction-preparer";
import type { PreparedTx } from "../../../../keeper/submit/types";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { Journal } from "../../../../keeper/journal/journal";
import { makeTempDir, removeDir } from "../journal/journal-fixtures";
import { KEEPER_SHAPED_FEE_POLICY } from "./helpers/fee-policies";

const GWEI = 10n ** 9n;
const CHAIN_ID = 8453;
/** 12.5% bumps, a 100 gwei bid cap and the cancel ceiling at 200 gwei (what the cases below are computed from). */
const POLICY = KEEPER_SHAPED_FEE_POLICY;

describe("a nonce stuck behind the cancel ceiling", function () {
  it("cancels at the ceiling with the +10% nodes require when the policy's 12.5% bump would cross it", function () {
    // 180 gwei × 1.125 = 202.5 gwei > 200: the policy's bump no longer fits, the 10% nodes require (198) does.
    const decision = replacementDecision({ maxFeePerGas: 180n * GWEI, maxPriorityFeePerGas: 5n * GWEI }, "cancel", 1n * GWEI, POLICY);
    expect(
      decision.kind,
      JSON.stringify(decision, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
    ).to.equal("cancel");
    if (decision.kind !== "cancel") return;
    expect(decision.fees.maxFeePerGas).to.equal(200n * GWEI);
    expect(decision.fees.maxFeePerGas >= 198n * GWEI, "still replaces the stuck transaction").to.equal(true);
    expect(decision.fees.maxPriorityFeePerGas).to.equal(5_625_000_000n);
  });

  it("reports exhausted, with the fee a replacement would need, only when even +10% is above the ceiling", function () {
    const decision = replacementDecision({ maxFeePerGas: 190n * GWEI, maxPriorityFeePerGas: 5n * GWEI }, "cancel", 1n * GWEI, POLICY);
    expect(decision).to.deep.include({ kind: "exhausted", neededMaxFeePerGas: 209n * GWEI });
  });

  describe("the preparer", function () {
    const wallet = Wallet.createRandom();
    let mined: number;
    let reads: number;
    let told: (NonceBlock | null)[];
    let preparer: TransactionPreparer;

    beforeEach(async function () {
      mined = 10;
      reads = 0;
      told = [];
      const nonces = await NonceManager.open({
        address: wallet.address,
        chainId: CHAIN_ID,
        lockDirectory: null,
        source: {
          getTransactionCount: async () => {
            reads++;
            return mined;
          },
        },
      });
      preparer = await TransactionPreparer.create({
        signer: wallet,
        chainId: CHAIN_ID,
        nonces,
        fees: POLICY,
        baseFee: { currentBaseFee: async () => 1n * GWEI },
        onNonceBlock: (block) => told.push(block),
        clock: () => Date.UTC(2026, 11, 7, 12),
      });
    });

    const stuckCancel = (nonce: number): PreparedTx => ({
      kind: "cancel",
      meta: { executionId: "plan-stuck" },
      chainId: CHAIN_ID,
      from: wallet.address as Address,
      nonce,
      to: wallet.address as Address,
      data: "0x",
      value: 0n,
      gasLimit: 21_000n,
      fees: { maxFeePerGas: 197n * GWEI, maxPriorityFeePerGas: 5n * GWEI },
    });
    const request = { to: wallet.address as Address, data: "0x", gasLimit: 100_000n, priorityFeePerGas: 1n * GWEI };

    it("blocks the nonce, refuses to prepare anything behind it (no nonce reserved), and frees it once it is mined", async function () {
      const first = await preparer.prepare(request, { executionId: "plan-a" });
      expect(first.nonce).to.equal(10);
      let error: unknown;
      await preparer.prepareReplacement(stuckCancel(10), "0x" + "ab".repeat(32)).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(FeesExhaustedError);
      expect(preparer.nonceBlock).to.deep.include({ nonce: 10, stuckTxHash: "0x" + "ab".repeat(32), neededMaxFeePerGas: 216_700_000_000n });
      expect(told.map((block) => block?.nonce ?? null)).to.deep.equal([10]);

      await preparer.prepare(request, { executionId: "plan-b" }).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(NonceBlockedError);
      expect((error as Error).message).to.match(/nonce 10 of 0x[0-9a-fA-F]{40} is blocked .* cancelMaxFeePerGasCeiling 200000000000/);
      expect(preparer.nonces.peek, "no nonce reserved behind the blocked one").to.equal(11);

      // A second exhaustion of the same nonce, or of one behind it, is the same incident: told once.
      await preparer.prepareReplacement(stuckCancel(10)).catch(() => undefined);
      await preparer.prepareReplacement(stuckCancel(11)).catch(() => undefined);
      expect(told).to.have.length(1);
      expect(preparer.nonceBlock?.nonce, "the lowest blocked nonce is the one that stops the key").to.equal(10);

      mined = 11; // the stuck cancel landed (the base fee fell under its max fee)
      const readsBefore = reads;
      const next = await preparer.prepare(request, { executionId: "plan-c" });
      expect(reads, "one chain read to see the nonce mined").to.equal(readsBefore + 1);
      expect(next.nonce).to.equal(11);
      expect(preparer.nonceBlock).to.equal(null);
      expect(told.map((block) => block?.nonce ?? null)).to.deep.equal([10, null]);
    });

    describe("kept in the journal", function () {
      let dir: string;
      let journal: Journal;
      beforeEach(function () {
        dir = makeTempDir("nonce-block");
        journal = Journal.open(path.join(dir, "journal.sqlite"));
      });
      afterEach(function () {
        journal.close();
        removeDir(dir);
      });

      /** A keeper's preparer on the same key and journal, its nonce-block reporter on a registry of its own. */
      async function keeperPreparer(alerts: string[] = []) {
        const registry = new Registry();
        const onNonceBlock = nonceBlockReporter({
          registry,
          logger: createLogger({ level: "silent" }),
          alerts: { dispatch: async (alert) => void alerts.push(alert.key), resolve: async (key) => void alerts.push(`resolve ${key}`) },
        });
        const nonces = await NonceManager.open({
          address: wallet.address,
          chainId: CHAIN_ID,
          lockDirectory: null,
          source: { getTransactionCount: async () => mined },
        });
        const created = await TransactionPreparer.create({
          signer: wallet,
          chainId: CHAIN_ID,
          nonces,
          fees: POLICY,
          baseFee: { currentBaseFee: async () => 1n * GWEI },
          onNonceBlock,
          nonceBlockRecords: journal,
        });
        const gauges = async () => {
          const text = await registry.metrics();
          const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
          return { blocked: value("keeper_nonce_blocked"), nonce: value("keeper_blocked_nonce") };
        };
        return { preparer: created, gauges, registry };
      }

      it("a restarted keeper (or a new leader) knows the blocked nonce from start-up, refuses to send behind it, and clears it once mined", async function () {
        const first = await keeperPreparer();
        const standby = await keeperPreparer(); // started before the block was found
        await first.preparer.prepareReplacement(stuckCancel(10), "0x" + "ab".repeat(32)).catch(() => undefined);
        expect(journal.nonceBlock(wallet.address)).to.deep.include({ nonce: 10, stuckTxHash: "0x" + "ab".repeat(32) });

        const restarted = await keeperPreparer();
        expect(restarted.preparer.nonceBlock, "known before any send or bump").to.deep.include({
          nonce: 10,
          neededMaxFeePerGas: 216_700_000_000n,
        });
        expect(await restarted.gauges()).to.deep.equal({ blocked: 1, nonce: 10 });
        let error: unknown;
        await restarted.preparer.prepare(request, { executionId: "plan-behind" }).catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(NonceBlockedError);

        // The standby takes over: it reads what the last leader recorded.
        expect(standby.preparer.nonceBlock).to.equal(null);
        expect((await standby.preparer.reloadNonceBlock())?.nonce).to.equal(10);
        expect(await standby.gauges()).to.deep.equal({ blocked: 1, nonce: 10 });

        mined = 11; // the stuck transaction landed
        await restarted.preparer.prepare(request, { executionId: "plan-after" }); // no longer refused
        expect(restarted.preparer.nonceBlock).to.equal(null);
        expect(journal.nonceBlock(wallet.address), "cleared in the journal too").to.equal(null);
        expect(await restarted.gauges()).to.deep.equal({ blocked: 0, nonce: -1 });
        const next = await keeperPreparer();
        expect(next.preparer.nonceBlock).to.equal(null);
      });

      it("a standby's gauges show the block the leader records at its next tick, and its clearing, without a takeover or an alert", async function () {
        const leader = await keeperPreparer();
        const standbyAlerts: string[] = [];
        const standby = await keeperPreparer(standbyAlerts); // started before the block was found
        // What the standby's session runs after each of its ticks (keeper-session.ts), on the standby's own registry.
        const standbyTick = recordedNonceBlockFollower({
          registry: standby.registry,
          records: journal,
          signer: wallet.address,
          logger: createLogger({ level: "silent" }),
        });
        expect(standbyTick()).to.equal(null);
        expect(await standby.gauges()).to.deep.equal({ blocked: 0, nonce: -1 });

        await leader.preparer.prepareReplacement(stuckCancel(10), "0x" + "ab".repeat(32)).catch(() => undefined);
        expect(standbyTick()?.nonce).to.equal(10);
        expect(await standby.gauges(), "the standby's dashboard is right before any takeover").to.deep.equal({ blocked: 1, nonce: 10 });
        expect(standby.preparer.nonceBlock, "the standby's preparer adopts it only when it takes over").to.equal(null);
        expect(standbyAlerts, "the leader alerted; the standby does not page a second time").to.deep.equal([]);

        mined = 11; // the stuck transaction landed; the leader clears the record at its next send
        await leader.preparer.prepare(request, { executionId: "plan-after" });
        expect(standbyTick()).to.equal(null);
        expect(await standby.gauges()).to.deep.equal({ blocked: 0, nonce: -1 });
      });
    });

    it("reads nothing extra from the chain while no nonce is blocked", async function () {
      const before = reads;
      await preparer.prepare(request, { executionId: "plan-a" });
      await preparer.refreshNonceBlock();
      expect(reads).to.equal(before);
    });
  });

  it("tells the operator which nonce and why: one critical alert, the gauges, resolved when it clears", async function () {
    const registry = new Registry();
    const alerts: { kind: string; alert?: Alert; key?: string }[] = [];
    const report = nonceBlockReporter({
      registry,
      logger: createLogger({ level: "silent" }),
      alerts: {
        dispatch: async (alert) => void alerts.push({ kind: "dispatch", alert }),
        resolve: async (key) => void alerts.push({ kind: "resolve", key }),
      },
    });
    const gauges = async () => {
      const text = await registry.metrics();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
      return { blocked: value("keeper_nonce_blocked"), nonce: value("keeper_blocked_nonce") };
    };
    expect(await gauges()).to.deep.equal({ blocked: 0, nonce: -1 });
    report({
      address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address,
      nonce: 10,
      stuckTxHash: "0x" + "cd".repeat(32),
      stuckMaxFeePerGas: 202n * GWEI,
      neededMaxFeePerGas: 222_200_000_000n,
      cancelMaxFeePerGasCeiling: 200n * GWEI,
      reason: "cannot replace nonce 10: needs 222.2 gwei",
      sinceMs: 0,
    });
    expect(await gauges()).to.deep.equal({ blocked: 1, nonce: 10 });
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.alert).to.deep.include({ key: NONCE_BLOCKED_ALERT_KEY, severity: "critical" });
    expect(alerts[0]!.alert!.title).to.match(/Nonce 10 .* blocked/);
    expect(alerts[0]!.alert!.detail).to.match(/222200000000 wei\/gas/);
    report(null);
    expect(await gauges()).to.deep.equal({ blocked: 0, nonce: -1 });
    expect(alerts.at(-1)).to.deep.equal({ kind: "resolve", key: NONCE_BLOCKED_ALERT_KEY });
  });
});
