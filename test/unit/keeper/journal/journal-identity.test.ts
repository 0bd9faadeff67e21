/**
 * A journal knows what it is and which chain it belongs to (issue 12, class 3):
 *  - a file that is not a Chimera journal (another application's SQLite database, a file that is no
 *    database, a directory) is refused, named, and left untouched;
 *  - a journal bound to another chain or executor stops the keeper before anything is read from it:
 *    a restarted local node (checkpoint beyond the head, or a block hash that differs), another chain
 *    id, another executor;
 *  - `npx hardhat keeper` checks its journal before the slow sandbox build, and `--fresh-journal`
 *    moves the old journal aside instead of deleting it.
 * The chain is the in-process Hardhat network (real blocks and hashes); the keeper session test runs on
 * the sandbox with the executor deployed through Ignition.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import Database from "better-sqlite3";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../../../keeper/core/types";
import { Journal } from "../../../../keeper/journal/journal";
import { CHIMERA_APPLICATION_ID } from "../../../../keeper/journal/sqlite-connection";
import {
  ANCHOR_DEPTH,
  ChainAnchor,
  DISCOVERY_CHECKPOINT_PREFIX,
  JournalChainMismatchError,
  bindJournalToChain,
} from "../../../../keeper/journal/chain-binding";
import { runKeeperTask } from "../../../../tasks/keeper";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { deployKeeperExecutor, openSandboxKeeperSession } from "../../../shared/keeper-harness";
import { makeTempDir, removeDir } from "./journal-fixtures";

const EXECUTOR = "0x00000000000000000000000000000000000000e1" as Address;
const OTHER_EXECUTOR = "0x00000000000000000000000000000000000000e2" as Address;
const REMEDY = "(remedy)";

function digest(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

describe("journal identity: what a journal is, and which chain it belongs to", function () {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir("identity");
  });

  afterEach(() => removeDir(dir));

  describe("a file that is not a Chimera journal", () => {
    it("refuses another application's SQLite database without writing a byte to it", () => {
      const file = path.join(dir, "wallet.sqlite");
      const other = new Database(file);
      other.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('alice');");
      other.close();
      const before = digest(file);

      expect(() => Journal.open(file)).to.throw(
        new RegExp(`${escape(file)} is a SQLite database of another application \\(tables: accounts\\)`),
      );
      expect(digest(file), "untouched").to.equal(before);
      expect(fs.existsSync(`${file}-wal`), "not even switched to WAL").to.equal(false);
    });

    it("refuses a SQLite database marked by another application, naming its application_id", () => {
      const file = path.join(dir, "other.db");
      const other = new Database(file);
      other.pragma("application_id = 1234");
      other.close();
      expect(() => Journal.open(file)).to.throw(/belongs to another application \(SQLite application_id 0x4d2/);
      expect(() => Journal.open(file, { readonly: true })).to.throw(/belongs to another application/);
    });

    it("names the path of a file that is no database, of a directory, and of a folder that cannot be created", () => {
      const text = path.join(dir, "notes.txt");
      fs.writeFileSync(text, "these are notes, not a database\n".repeat(200));
      expect(() => Journal.open(text)).to.throw(new RegExp(`${escape(text)} is not a SQLite database`));

      expect(() => Journal.open(dir)).to.throw(new RegExp(`journal ${escape(dir)} is a directory`));

      const underAFile = path.join(text, "keeper.sqlite");
      expect(() => Journal.open(underAFile)).to.throw(new RegExp(`cannot create the journal's folder ${escape(text)}`));
    });

    it("marks a new journal, and marks a Chimera journal written before the mark, keeping its data", () => {
      const file = path.join(dir, "keeper.sqlite");
      const journal = Journal.open(file);
      journal.setCheckpoint("k", "v");
      journal.close();
      const raw = new Database(file);
      expect(raw.pragma("application_id", { simple: true })).to.equal(CHIMERA_APPLICATION_ID);
      raw.pragma("application_id = 0"); // as every journal before the mark was
      raw.close();

      const reopened = Journal.open(file);
      expect(reopened.getCheckpoint("k")).to.equal("v");
      reopened.close();
      const marked = new Database(file, { readonly: true });
      expect(marked.pragma("application_id", { simple: true })).to.equal(CHIMERA_APPLICATION_ID);
      marked.close();
    });
  });

  describe("which chain and executor it belongs to", () => {
    let journal: Journal;
    let chainId: number;

    beforeEach(async () => {
      journal = Journal.open(path.join(dir, "keeper.sqlite"));
      chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    });

    afterEach(() => journal.close());

    const bind = (executor: Address = EXECUTOR, id = chainId) =>
      bindJournalToChain(journal, { chainId: id, executor }, hre.ethers.provider, REMEDY);
    const refusal = async (run: Promise<void>) => {
      const error = await run.catch((e: unknown) => e);
      expect(error, "refused").to.be.instanceOf(JournalChainMismatchError);
      expect((error as Error).message).to.contain(`journal ${journal.path} belongs to another chain or executor`);
      expect((error as Error).message).to.contain(REMEDY);
      return (error as Error).message;
    };

    it("records the chain id and executor at the first start, and accepts them again", async () => {
      await bind();
      expect(journal.chainBinding()).to.deep.include({ chainId, executor: EXECUTOR });
      await bind();
    });

    it("refuses another executor and another chain id, naming both sides", async () => {
      await bind();
      expect(await refusal(bind(OTHER_EXECUTOR))).to.contain(
        `it was written for executor ${hre.ethers.getAddress(EXECUTOR)}, but this keeper runs executor ${hre.ethers.getAddress(OTHER_EXECUTOR)}`,
      );
      expect(await refusal(bind(EXECUTOR, 1))).to.contain(`it was written on chain ${chainId}, but the endpoint serves chain 1`);
    });

    it("refuses a discovery checkpoint beyond the chain's head (a restarted local node)", async () => {
      await bind();
      const head = await hre.ethers.provider.getBlockNumber();
      journal.setCheckpoint(`${DISCOVERY_CHECKPOINT_PREFIX}aave-v3:Pool`, JSON.stringify({ lastScannedBlock: head + 2, borrowers: [] }));
      expect(await refusal(bind())).to.contain(
        `its discovery checkpoint aave-v3:Pool is at block ${head + 2}, beyond the chain's head ${head}`,
      );
    });

    it("anchors a block behind the head, and refuses a chain where that block's hash differs (a new chain that grew past it)", async () => {
      await bind();
      for (let i = 0; i < 3; i++) await hre.network.provider.send("evm_mine", []);
      const head = await hre.ethers.provider.getBlockNumber();
      await new ChainAnchor(journal, hre.ethers.provider, () => 0).follow(head, true);
      const anchored = Math.max(0, head - ANCHOR_DEPTH);
      expect(journal.chainBinding()).to.deep.include({
        anchorBlock: anchored,
        anchorHash: (await hre.ethers.provider.getBlock(anchored))!.hash,
      });
      await bind();

      journal.anchorChain(anchored, `0x${"ab".repeat(32)}`);
      expect(await refusal(bind())).to.contain(
        `block ${anchored} has hash ${(await hre.ethers.provider.getBlock(anchored))!.hash} on this chain`,
      );
    });
  });

  describe("the keeper", function () {
    this.timeout(300_000);

    it("stops start-up on a journal of another executor or of a restarted node, before anything is read or written", async () => {
      const sandbox = await loadFixture(sandboxFixture);
      const { operator, executor } = await deployKeeperExecutor(hre, sandbox);
      const journalPath = path.join(dir, "keeper.sqlite");
      const old = Journal.open(journalPath);
      old.recordChainBinding({ chainId: sandbox.book.chainId, executor: OTHER_EXECUTOR });
      old.close();

      const error = await openSandboxKeeperSession(hre, { sandbox, executor, operator, journalPath }).catch((e: unknown) => e);
      expect((error as Error).message).to.match(/belongs to another chain or executor/);
      expect((error as Error).message).to.contain("--fresh-journal");

      const restarted = path.join(dir, "restarted.sqlite");
      const stale = Journal.open(restarted);
      const head = await hre.ethers.provider.getBlockNumber();
      stale.setCheckpoint(`${DISCOVERY_CHECKPOINT_PREFIX}aave-v3:Pool`, JSON.stringify({ lastScannedBlock: head + 50, borrowers: [] }));
      stale.close();
      const refused = await openSandboxKeeperSession(hre, { sandbox, executor, operator, journalPath: restarted }).catch((e: unknown) => e);
      expect((refused as Error).message).to.match(/beyond the chain's head/);

      for (const file of [journalPath, restarted]) {
        const check = Journal.open(file, { readonly: true });
        expect(check.listSystemEvents(), `${file}: no startup, nothing written`).to.deep.equal([]);
        check.close();
      }
    });

    it("refuses a bad --journal before building the sandbox, and --fresh-journal moves the old journal aside", async () => {
      const printed: string[] = [];
      const log = console.log;
      const logError = console.error;
      console.log = (...parts: unknown[]) => void printed.push(parts.join(" "));
      // --fresh-journal's notice is written before the run's console exists, to stderr.
      console.error = (...parts: unknown[]) => void printed.push(parts.join(" "));
      try {
        const notADatabase = path.join(dir, "notes.txt");
        fs.writeFileSync(notADatabase, "not a database\n".repeat(300));
        const error = await runKeeperTask({ once: true, dryRun: true, journal: notADatabase }, hre).catch((e: unknown) => e);
        expect((error as Error).message).to.contain(`${notADatabase} is not a SQLite database`);
        expect(
          printed.some((line) => line.includes("Building the sandbox")),
          "the sandbox was not built",
        ).to.equal(false);

        const journalPath = path.join(dir, "keeper.sqlite");
        const old = Journal.open(journalPath);
        old.setCheckpoint("marker", "the old journal");
        old.close();
        const other = new Database(path.join(dir, "other.sqlite"));
        other.exec("CREATE TABLE t (x INTEGER)");
        other.close();
        // --fresh-journal refuses to move another application's file too.
        const foreign = await runKeeperTask(
          { once: true, dryRun: true, journal: path.join(dir, "other.sqlite"), freshJournal: true },
          hre,
        ).catch((e: unknown) => e);
        expect((foreign as Error).message).to.match(/another application/);

        // The run stops right after its journal step (--address-book is refused on the in-process network).
        printed.length = 0;
        const moved = await runKeeperTask(
          { once: true, dryRun: true, journal: journalPath, freshJournal: true, addressBook: "x.json" },
          hre,
        ).catch((e: unknown) => e);
        expect((moved as Error).message).to.match(/--address-book is for (a run on )?--network localhost/);
        const note = printed.find((line) => line.startsWith("--fresh-journal:"));
        expect(note, printed.join("\n")).to.match(/the old journal is now .*keeper\.replaced-.*\.sqlite; starting a new journal at /);
        const aside = fs.readdirSync(dir).find((name) => name.startsWith("keeper.replaced-"))!;
        const kept = Journal.open(path.join(dir, aside), { readonly: true });
        expect(kept.getCheckpoint("marker"), "the old journal is kept, whole").to.equal("the old journal");
        kept.close();
        const fresh = Journal.open(journalPath, { readonly: true });
        expect(fresh.getCheckpoint("marker")).to.equal(undefined);
        fresh.close();
      } finally {
        console.log = log;
        console.error = logError;
      }
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
