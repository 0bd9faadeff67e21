/**
 * What a keeper taking over from another (a restart, a standby after a failover) must read from the journal, not
 * rediscover: a plan's deadline block with its intent, which replacement no node accepted, and the key's blocked
 * nonce. On both backends; each case re-opens the journal, as the next keeper would.
 */
import { expect } from "chai";
import { Journal, JournalError } from "../../../../keeper/journal/journal";
import { migrateJournal } from "../../../../keeper/journal/journal-migrate";
import type { Address } from "../../../../keeper/core/types";
import type { NonceBlock } from "../../../../keeper/submit/transaction-preparer";
import { JOURNAL_BACKENDS } from "../../../shared/journal-backends";
import { OPERATOR, attempt, makePlan, makeTempDir, removeDir, txHash } from "./journal-fixtures";

const intent = (deadlineBlock?: number, nonce = 7) => ({
  signer: OPERATOR,
  nonce,
  maxFeePerGas: 10_000_000n,
  maxPriorityFeePerGas: 1_000_000n,
  ...(deadlineBlock === undefined ? {} : { deadlineBlock }),
});

const BLOCK: NonceBlock = {
  address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address,
  nonce: 10,
  stuckTxHash: txHash(9),
  stuckMaxFeePerGas: 197_000_000_000n,
  neededMaxFeePerGas: 216_700_000_000n,
  cancelMaxFeePerGasCeiling: 200_000_000_000n,
  reason: "cannot replace nonce 10: needs 216.7 gwei",
  sinceMs: Date.UTC(2026, 11, 7, 12),
};

for (const backend of JOURNAL_BACKENDS)
  describe(`journal: the send state a new leader reads (${backend.name})`, function () {
    this.timeout(60_000);
    let dir: string;
    let location: string;
    const opened: Journal[] = [];
    const open = () => {
      const journal = Journal.open(location);
      opened.push(journal);
      return journal;
    };

    beforeEach(async () => {
      dir = makeTempDir("send-state");
      location = await backend.newLocation(dir);
    });

    afterEach(() => {
      for (const journal of opened.splice(0).reverse()) journal.close();
      removeDir(dir);
    });

    function sentExecution(journal: Journal, id: string, deadlineBlock?: number, nonce = 7): void {
      journal.planExecution(makePlan({ id }), { mode: "LIVE" });
      journal.markSimulated(id);
      journal.recordIntent(id, intent(deadlineBlock, nonce));
      journal.markSigned(id, attempt(nonce, nonce));
      journal.markSent(id);
    }

    it("keeps a plan's deadline block with its intent, for the keeper that adopts the transaction", () => {
      const writer = open();
      sentExecution(writer, "p-deadline", 123);
      sentExecution(writer, "p-no-deadline", undefined, 8);
      writer.close();
      const reader = open();
      expect(reader.openIntents().map((o) => [o.execution.planId, o.execution.deadlineBlock])).to.deep.equal([
        ["p-deadline", 123],
        ["p-no-deadline", null],
      ]);
    });

    it("refuses a deadline that is not a block number", () => {
      const journal = open();
      journal.planExecution(makePlan({ id: "p-bad" }), { mode: "LIVE" });
      journal.markSimulated("p-bad");
      expect(() => journal.recordIntent("p-bad", intent(-1))).to.throw(JournalError, /deadlineBlock must be a block number, got -1/);
      expect(journal.getExecution("p-bad")!.state, "nothing recorded").to.equal("simulated");
    });

    it("marks a replacement no node accepted as dropped, keeps the execution open, and settles it if it lands after all", () => {
      const journal = open();
      sentExecution(journal, "p-refused", 130);
      journal.recordReplacement("p-refused", attempt(2, 7, { maxFeePerGas: 11_250_000n, maxPriorityFeePerGas: 1_125_000n }), "replacement");
      journal.markAttemptRefused("p-refused", txHash(2));
      journal.close();
      const reader = open();
      expect(reader.txAttempts("p-refused").map((a) => [a.attempt, a.status])).to.deep.equal([
        [1, "pending"],
        [2, "dropped"],
      ]);
      expect(reader.getExecution("p-refused")!.state).to.equal("sent");
      expect(() => reader.markAttemptRefused("p-refused", txHash(3))).to.throw(JournalError, /not one of its attempts/);
      // It reached a node after all (an endpoint that timed out had it): its receipt settles the execution.
      reader.markIncluded("p-refused", {
        txHash: txHash(2),
        blockNumber: 131,
        gasUsed: 21_000n,
        effectiveGasPrice: 1n,
        realisedProfit: 1n,
        realisedProfitUsd: 1,
      });
      expect(reader.txAttempts("p-refused").map((a) => a.status)).to.deep.equal(["replaced", "included"]);
    });

    it("keeps the key's blocked nonce until it is cleared, per key, and copies it with the journal", () => {
      const writer = open();
      expect(writer.nonceBlock(BLOCK.address)).to.equal(null);
      writer.recordNonceBlock(BLOCK.address, BLOCK);
      writer.recordNonceBlock(BLOCK.address, { ...BLOCK, neededMaxFeePerGas: 220_000_000_000n });
      writer.close();
      const reader = open();
      expect(reader.nonceBlock(BLOCK.address.toLowerCase())).to.deep.equal({ ...BLOCK, neededMaxFeePerGas: 220_000_000_000n });
      expect(reader.nonceBlock(OPERATOR), "another key is not blocked").to.equal(null);

      // journal:migrate carries it over: the keeper on the new database starts knowing the key is blocked.
      const copyPath = `${dir}/copy.sqlite`;
      migrateJournal(location, copyPath);
      const copied = Journal.open(copyPath, { readonly: true });
      try {
        expect(copied.nonceBlock(BLOCK.address)?.nonce).to.equal(10);
      } finally {
        copied.close();
      }

      reader.recordNonceBlock(BLOCK.address, null);
      expect(reader.nonceBlock(BLOCK.address)).to.equal(null);
    });
  });
