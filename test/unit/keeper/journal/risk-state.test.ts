/**
 * Risk-state snapshots (state-store.ts) are written only when they differ from what the row holds: the keeper saves
 * both snapshots after every block in which anything was recorded, and one of the two is usually unchanged. What the
 * row holds must still be what was last saved — after another writer changed it and this keeper read it again, and
 * after a transaction that wrote it was rolled back.
 */
import path from "node:path";
import { expect } from "chai";
import { Journal } from "../../../../keeper/journal/journal";
import { makeTempDir, removeDir } from "./journal-fixtures";

describe("journal: risk-state snapshots written only when changed", function () {
  let dir: string;
  let journalPath: string;
  let now: number;
  const opened: Journal[] = [];
  const open = () => {
    const journal = Journal.open(journalPath, { clock: () => now });
    opened.push(journal);
    return journal;
  };

  beforeEach(() => {
    dir = makeTempDir("risk-state");
    journalPath = path.join(dir, "journal.sqlite");
    now = 1_000;
  });
  afterEach(() => {
    for (const journal of opened.splice(0).reverse()) journal.close();
    removeDir(dir);
  });

  it("skips a snapshot equal to the one it wrote, writes a changed one at once", () => {
    const journal = open();
    const reader = open();
    journal.saveRiskState("circuit-breaker", { state: "NORMAL", outcomes: [1] });
    now = 2_000;
    journal.saveRiskState("circuit-breaker", { state: "NORMAL", outcomes: [1] });
    expect(reader.loadRiskState("circuit-breaker")?.updatedAt, "the unchanged snapshot was not written again").to.equal(1_000);
    now = 3_000;
    journal.saveRiskState("circuit-breaker", { state: "HALTED", outcomes: [1, 2] });
    expect(reader.loadRiskState("circuit-breaker")).to.deep.include({ value: { state: "HALTED", outcomes: [1, 2] }, updatedAt: 3_000 });
  });

  it("writes again after another keeper changed the row and this one read it, and after a rolled-back transaction", () => {
    const journal = open();
    const other = open();
    journal.saveRiskState("risk-gate", { volumeUsd: 10 });
    other.saveRiskState("risk-gate", { volumeUsd: 99 }); // the leader before a takeover
    expect(journal.loadRiskState("risk-gate")?.value).to.deep.equal({ volumeUsd: 99 }); // taking over reads it
    journal.saveRiskState("risk-gate", { volumeUsd: 10 });
    expect(other.loadRiskState("risk-gate")?.value, "written: the row held another value").to.deep.equal({ volumeUsd: 10 });

    expect(() =>
      journal.atomically(() => {
        journal.saveRiskState("risk-gate", { volumeUsd: 20 });
        throw new Error("the batch failed");
      }),
    ).to.throw(/the batch failed/);
    journal.saveRiskState("risk-gate", { volumeUsd: 20 });
    expect(other.loadRiskState("risk-gate")?.value, "written after the rollback").to.deep.equal({ volumeUsd: 20 });
  });
});
