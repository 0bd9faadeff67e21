/**
 * /status's `nonceBlocked` on a standby: the key's blocked nonce as the leader recorded it in the journal, not the
 * start-up state the standby's own preparer holds until it takes over (its dashboard must be right before a
 * takeover). The journal is a real one (SQLite); the engine's other parts are the few fields /status reads.
 */
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import type { Address } from "../../../../keeper/core/types";
import { engineStatus, type EngineParts, type EngineSnapshot } from "../../../../keeper/engine/engine-status";
import { Journal } from "../../../../keeper/journal/journal";
import type { NonceBlock } from "../../../../keeper/submit/transaction-preparer";
import { makeTempDir, removeDir } from "../journal/journal-fixtures";

describe("engine status: the blocked nonce a standby shows", function () {
  const operator = Wallet.createRandom().address as Address;
  const recorded: NonceBlock = {
    address: operator,
    nonce: 10,
    stuckTxHash: "0x" + "ab".repeat(32),
    stuckMaxFeePerGas: 197_000_000_000n,
    neededMaxFeePerGas: 216_700_000_000n,
    cancelMaxFeePerGasCeiling: 200_000_000_000n,
    reason: "cannot replace nonce 10",
    sinceMs: Date.UTC(2026, 11, 7, 12),
  };
  let dir: string;
  let journal: Journal;

  beforeEach(() => {
    dir = makeTempDir("engine-status");
    journal = Journal.open(path.join(dir, "journal.sqlite"));
  });
  afterEach(() => {
    journal.close();
    removeDir(dir);
  });

  /** The parts /status reads, with an execution stage whose preparer knows `known` (what it read at start-up). */
  function parts(known: NonceBlock | null): EngineParts {
    const risk = {
      breaker: { describe: () => ({ state: "NORMAL" }) },
      riskGate: { limitsLabel: "tier 1", limits: {}, totalsAt: () => ({}) },
    };
    const execution = { operator, nonceBlock: known, inFlight: () => [] };
    return { journal, risk, markets: [], execution } as unknown as EngineParts;
  }

  const snapshot = (leading: boolean): EngineSnapshot => ({
    network: "base",
    mode: "LIVE",
    started: true,
    startedAtMs: 0,
    nowMs: 1_000,
    head: 100,
    lastHeadAtMs: 900,
    staleHeadSeconds: 30,
    totals: { detected: 0, planned: 0, skipped: 0, sent: 0, included: 0, failed: 0, lostRaces: 0, realisedProfitUsd: 0 },
    reconciliation: null,
    leading,
    leadership: undefined,
    race: {},
    reacting: false,
  });

  it("a standby shows the block the leader recorded after the standby started, and its clearing", () => {
    expect(engineStatus(snapshot(false), parts(null)).nonceBlocked).to.equal(null);
    journal.recordNonceBlock(operator, recorded); // the leader finds it
    expect(engineStatus(snapshot(false), parts(null)).nonceBlocked).to.deep.include({ nonce: 10, neededMaxFeePerGas: "216700000000" });
    journal.recordNonceBlock(operator, null); // mined
    expect(engineStatus(snapshot(false), parts(recorded)).nonceBlocked, "cleared by the leader, stale in the standby's preparer").to.equal(
      null,
    );
  });

  it("the leader shows its own preparer's block, and a standby whose journal cannot be read falls back to it", () => {
    journal.recordNonceBlock(operator, recorded);
    expect(engineStatus(snapshot(true), parts(null)).nonceBlocked, "the leader's preparer is first hand").to.equal(null);
    journal.close();
    expect(engineStatus(snapshot(false), parts(recorded)).nonceBlocked).to.deep.include({ nonce: 10 });
    journal = Journal.open(path.join(dir, "journal.sqlite"));
  });
});
