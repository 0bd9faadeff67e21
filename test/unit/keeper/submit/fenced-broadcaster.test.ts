/**
 * The send fence (submit/fenced-broadcaster.ts) on both journal backends, with real signed transactions
 * sent to the in-process chain through the keeper's own providerBroadcaster: a transaction leaves only
 * when this instance holds the leader lease (by the database), the journal holds the transaction and no
 * other execution holds its nonce, and the chain has not used the nonce yet. Each refusal is checked on
 * the chain too: the nonce stays unused.
 */
import { expect } from "chai";
import hre from "hardhat";
import type { Wallet } from "ethers";
import { Journal } from "../../../../keeper/journal/journal";
import { Leadership } from "../../../../keeper/engine/leadership";
import { providerBroadcaster } from "../../../../keeper/execution/broadcast";
import { hardhatAccountWallet } from "../../../../keeper/run/hardhat-accounts";
import { fencedBroadcaster, SendFencedError } from "../../../../keeper/submit/fenced-broadcaster";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { JOURNAL_BACKENDS } from "../../../shared/journal-backends";
import { postgresServer } from "../../../shared/postgres-server";
import { journaledTransfer } from "../../../shared/journaled-transfer";
import { makeTempDir, removeDir } from "../journal/journal-fixtures";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of JOURNAL_BACKENDS)
  describe(`submit: the send fence (${backend.name})`, function () {
    this.timeout(60_000);
    const logger = createLogger({ level: "silent" });
    let dir: string;
    let journal: Journal;
    let wallet: Wallet;
    let planCounter = 0;

    beforeEach(async () => {
      dir = makeTempDir("fence");
      journal = Journal.open(await backend.newLocation(dir));
      wallet = hardhatAccountWallet(hre, 9).connect(hre.ethers.provider);
    });

    afterEach(() => {
      journal.close();
      removeDir(dir);
    });

    /** A signed transfer at `nonce` (default: the chain's next), journaled as an execution's signed attempt unless `journaled` is false. */
    async function signedAt(options: { nonce?: number; journaled?: boolean } = {}) {
      const nonce = options.nonce ?? (await hre.ethers.provider.getTransactionCount(wallet.address, "latest"));
      const value = BigInt(1 + planCounter); // each transaction distinct
      return journaledTransfer(options.journaled === false ? null : journal, wallet, { nonce, value, planId: `fence-${planCounter++}` });
    }

    function fenced(leadership: Leadership) {
      return fencedBroadcaster(providerBroadcaster(hre.ethers.provider), { lease: leadership, journal, chain: hre.ethers.provider });
    }

    const onChain = async (hash: string) => (await hre.ethers.provider.getTransaction(hash)) !== null;

    it("sends when this instance leads, the journal holds the transaction alone and the chain nonce is free", async () => {
      const leader = new Leadership({ journal, leaseMs: 60_000, refreshMs: 1_000, logger });
      expect(leader.tryAcquire()).to.equal(true);
      const tx = await signedAt();
      await fenced(leader).broadcast(tx);
      expect(await onChain(tx.hash)).to.equal(true);
    });

    it("refuses an instance that does not hold the lease, and one whose lease ran out while it was frozen", async () => {
      const leader = new Leadership({ journal, leaseMs: 300, refreshMs: 100, logger });
      const standby = new Leadership({ journal, leaseMs: 300, refreshMs: 100, logger });
      expect(leader.tryAcquire()).to.equal(true);
      expect(standby.tryAcquire()).to.equal(false);
      const first = await signedAt();
      await expect(fenced(standby).broadcast(first)).to.be.rejectedWith(SendFencedError, /does not hold the journal's leader lease/);
      expect(await onChain(first.hash)).to.equal(false);

      // The leader stops renewing (SIGSTOP, a stalled VM) past its lease; the standby takes over.
      await sleep(350);
      expect(standby.tryAcquire()).to.equal(true);
      await expect(fenced(leader).broadcast(first)).to.be.rejectedWith(SendFencedError, /held by/);
      expect(await onChain(first.hash)).to.equal(false);
      // Even with no one else holding it, an expired lease is no lease.
      standby.stop();
      await expect(fenced(leader).broadcast(first)).to.be.rejectedWith(SendFencedError, /lease/);
      expect(await onChain(first.hash)).to.equal(false);
    });

    it("refuses a transaction the journal does not hold, and a nonce another execution holds", async () => {
      const leader = new Leadership({ journal, leaseMs: 60_000, refreshMs: 1_000, logger });
      leader.tryAcquire();
      const unjournaled = await signedAt({ journaled: false });
      await expect(fenced(leader).broadcast(unjournaled)).to.be.rejectedWith(SendFencedError, /is not in the journal/);
      expect(await onChain(unjournaled.hash)).to.equal(false);

      const first = await signedAt();
      const second = await signedAt({ nonce: first.nonce });
      await expect(fenced(leader).broadcast(second)).to.be.rejectedWith(
        SendFencedError,
        new RegExp(`held in the journal by ${first.planId}`),
      );
      expect(await onChain(second.hash)).to.equal(false);
    });

    // A SQLite file does not go away from under its keeper: PostgreSQL only.
    (backend.name === "PostgreSQL" ? it : () => undefined)(
      "while the database is away the leader stops counting itself leader and sends nothing; once it is back it leads and sends",
      async () => {
        const server = await postgresServer();
        const leader = new Leadership({ journal, leaseMs: 600, refreshMs: 200, logger });
        expect(leader.tryAcquire()).to.equal(true);
        const tx = await signedAt();
        await server.stop();
        try {
          expect(leader.tryAcquire(), "cannot renew").to.equal(false);
          await sleep(650);
          expect(leader.isLeader, "its own estimate ran out with the lease").to.equal(false);
          await expect(fenced(leader).broadcast(tx)).to.be.rejectedWith(SendFencedError, /did not answer|lease/);
          expect(await onChain(tx.hash)).to.equal(false);
        } finally {
          await server.start();
        }
        // The journal lets calls through again once its background probe finds the database answering (every 500 ms).
        let back = false;
        for (let i = 0; i < 50 && !back; i++) back = leader.tryAcquire() || (await sleep(100), false);
        expect(back, "leads again once the database is back").to.equal(true);
        await fenced(leader).broadcast(tx);
        expect(await onChain(tx.hash)).to.equal(true);
      },
    );

    it("refuses a nonce the chain has already used", async () => {
      const leader = new Leadership({ journal, leaseMs: 60_000, refreshMs: 1_000, logger });
      leader.tryAcquire();
      const stale = await signedAt();
      // Another transaction from the same key takes the nonce first (e.g. sent by hand).
      await (await wallet.sendTransaction({ to: wallet.address, value: 2n, nonce: stale.nonce })).wait();
      await expect(fenced(leader).broadcast(stale)).to.be.rejectedWith(SendFencedError, /already used on chain/);
      expect(await onChain(stale.hash)).to.equal(false);
    });

    it("refuses a plan whose deadline block has passed (it could only revert PlanExpired), and sends one the next block still fits", async () => {
      const leader = new Leadership({ journal, leaseMs: 60_000, refreshMs: 1_000, logger });
      leader.tryAcquire();
      const head = await hre.ethers.provider.getBlockNumber();
      // Planned a few blocks ago with its deadline at `head`: the next block is too late.
      const late = await signedAt();
      await expect(fenced(leader).broadcast({ ...late, deadlineBlock: head })).to.be.rejectedWith(
        SendFencedError,
        new RegExp(`deadline is block ${head} and the chain is at block ${head}; it could only revert PlanExpired`),
      );
      expect(await onChain(late.hash), "nothing left the keeper").to.equal(false);
      // The same transaction with one block to spare leaves.
      await fenced(leader).broadcast({ ...late, deadlineBlock: head + 1 });
      expect(await onChain(late.hash)).to.equal(true);
    });
  });
