import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { Journal } from "../../../keeper/journal/journal";
import { requestMode, type ControlDeps, type ControlResult } from "../../../tasks/keeper-control";
import { makeTempDir, removeDir } from "../keeper/journal/journal-fixtures";
import { rejection } from "./helpers/rejection";

// Hardhat's well-known test keys #0 and #1: public, never funded on a real network.
const KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/** Runs a task with console.log captured. */
async function runTask(name: string, args: Record<string, unknown>): Promise<{ printed: string; result: ControlResult }> {
  const printed: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => printed.push(parts.join(" "));
  try {
    const result = (await hre.run(name, args)) as ControlResult;
    return { printed: printed.join("\n"), result };
  } finally {
    console.log = original;
  }
}

describe("tasks: keeper:resume, keeper:mode, keeper:tier", () => {
  let dir: string;
  let journalPath: string;
  /** The running keeper's own connection to its journal. */
  let keeper: Journal;

  beforeEach(() => {
    dir = makeTempDir("control");
    journalPath = path.join(dir, "keeper-hardhat.sqlite");
    keeper = Journal.open(journalPath);
  });

  afterEach(() => {
    keeper.close();
    removeDir(dir);
  });

  describe("keeper:resume", () => {
    it("queues a resume request with a system event, and says what the keeper will do and when", async () => {
      const { printed, result } = await runTask("keeper:resume", { journal: journalPath, reason: "RPC recovered", operator: "alice" });
      const pending = keeper.pendingControlRequests();
      expect(pending).to.have.length(1);
      expect(pending[0]).to.include({ id: result.request.id, kind: "resume", requestedBy: "alice" });
      expect(pending[0].payload).to.deep.equal({ reason: "RPC recovered" });
      expect(keeper.listSystemEvents({ kinds: ["control_request"] }).map((e) => e.actor)).to.deep.equal(["alice"]);
      expect(printed).to.include(`Queued control request #${result.request.id}`);
      expect(printed).to.include("next loop iteration");
      expect(printed).to.include("circuit breaker");
    });

    it("requires a non-empty --reason and queues nothing without one", async () => {
      await rejection(runTask("keeper:resume", { journal: journalPath }), /--reason is required: why it is safe to resume/);
      await rejection(runTask("keeper:resume", { journal: journalPath, reason: "   " }), /--reason is required/);
      expect(keeper.pendingControlRequests()).to.have.length(0);
    });

    it("names the missing journal and the network instead of creating one", async () => {
      const absent = path.join(dir, "elsewhere.sqlite");
      await rejection(
        runTask("keeper:resume", { journal: absent, reason: "x" }),
        /no journal at .*elsewhere\.sqlite; a keeper creates it on its first run on hardhat/,
      );
      expect(fs.existsSync(absent)).to.equal(false);
    });

    it("waits for a running keeper (one holding the journal's lease) by default, and prints what it did", async () => {
      keeper.acquireLease("keeper-instance", "pid 4242 on keeper-host", 60_000);
      // Stands in for the keeper loop: applies whatever request is pending.
      const loop = setInterval(() => {
        for (const request of keeper.pendingControlRequests())
          keeper.completeControlRequest(request.id, "rejected", "still true: executor-paused (the executor contract is paused on chain)");
      }, 20);
      try {
        const { printed, result } = await runTask("keeper:resume", { journal: journalPath, reason: "fixed" });
        expect(result.keeperRunning).to.equal(true);
        expect(result.request).to.include({ outcome: "rejected" });
        expect(printed).to.include("A keeper is running on this journal (pid 4242 on keeper-host); waiting up to 15 s");
        expect(printed).to.include(`The keeper rejected request #${result.request.id}: still true: executor-paused`);
      } finally {
        clearInterval(loop);
      }
    });

    it("says when a running keeper has not applied the request within --wait, and leaves it queued", async () => {
      keeper.acquireLease("keeper-instance", "pid 4242 on keeper-host", 60_000);
      const { printed, result } = await runTask("keeper:resume", { journal: journalPath, reason: "fixed", wait: 0.1 });
      expect(result.request.appliedAt).to.equal(null);
      expect(printed).to.include("it stays queued");
      expect(keeper.pendingControlRequests()).to.have.length(1);
    });

    it("says a request queued while no keeper runs waits for the next start, naming the last keeper and what that start checks first", async () => {
      keeper.acquireLease("old-instance", "pid 777 on old-host", 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { printed, result } = await runTask("keeper:resume", { journal: journalPath, reason: "unpaused" });
      expect(result.keeperRunning).to.equal(false);
      expect(result.request.appliedAt).to.equal(null);
      expect(printed).to.match(
        /No keeper is running on this journal \(the last one, pid 777 on old-host, stopped renewing its lease at \S+\): request #\d+ stays queued for the next start/,
      );
      expect(printed).to.include("re-reads the executor's pause state, the L2 sequencer feed and the chain head");
    });
  });

  describe("keeper:mode", () => {
    it("queues a mode switch (case-insensitive) on the sandbox network without LIVE safeguards", async () => {
      const { printed } = await runTask("keeper:mode", { journal: journalPath, mode: "Live", reason: "sandbox demo" });
      const [request] = keeper.pendingControlRequests();
      expect(request.kind).to.equal("mode");
      expect(request.payload).to.deep.equal({ mode: "LIVE", reason: "sandbox demo" });
      expect(printed).to.include("switch to LIVE");
      await runTask("keeper:mode", { journal: journalPath, mode: "dry" });
      expect(keeper.pendingControlRequests().map((r) => r.payload)).to.deep.equal([
        { mode: "LIVE", reason: "sandbox demo" },
        { mode: "DRY" },
      ]);
    });

    it("rejects a missing or unknown --mode, naming the flag and the choices", async () => {
      await rejection(runTask("keeper:mode", { journal: journalPath }), /--mode is required; expected dry or live/);
      await rejection(runTask("keeper:mode", { journal: journalPath, mode: "fast" }), /--mode "fast" is not a mode; expected dry or live/);
      expect(keeper.pendingControlRequests()).to.have.length(0);
    });

    describe("on a real network", () => {
      const deps = (network: string, env: Record<string, string | undefined>): ControlDeps => ({
        network,
        projectRoot: dir,
        env,
        print: () => undefined,
      });

      it("refuses LIVE and queues nothing when the start-up safeguards fail", async () => {
        await rejection(
          requestMode({ journal: journalPath, mode: "live" }, deps("base", {})),
          /keeper:mode --mode live refused on base; nothing was queued:[\s\S]*I_UNDERSTAND_LIVE_RISK[\s\S]*KEEPER_PRIVATE_KEY is not set/,
        );
        expect(keeper.pendingControlRequests()).to.have.length(0);
      });

      it("queues LIVE on base when the safeguards pass, and DRY without any", async () => {
        await requestMode(
          { journal: journalPath, mode: "live" },
          deps("base", { I_UNDERSTAND_LIVE_RISK: "true", KEEPER_PRIVATE_KEY: KEY_0 }),
        );
        await requestMode({ journal: journalPath, mode: "dry" }, deps("base", {}));
        expect(keeper.pendingControlRequests().map((r) => r.payload)).to.deep.equal([{ mode: "LIVE" }, { mode: "DRY" }]);
      });

      it("on a relay network, requires a relay auth key distinct from the signing key", async () => {
        const env = { I_UNDERSTAND_LIVE_RISK: "true", KEEPER_PRIVATE_KEY: KEY_0 };
        await rejection(
          requestMode({ journal: journalPath, mode: "live" }, deps("mainnet", { ...env, FLASHBOTS_AUTH_KEY: KEY_0 })),
          /are the same key/,
        );
        await requestMode({ journal: journalPath, mode: "live" }, deps("mainnet", { ...env, FLASHBOTS_AUTH_KEY: KEY_1 }));
        expect(keeper.pendingControlRequests()).to.have.length(1);
      });
    });
  });

  describe("keeper:tier", () => {
    it("queues the tier and prints the limits it brings", async () => {
      const { printed } = await runTask("keeper:tier", { journal: journalPath, tier: "2", operator: "bob" });
      const [request] = keeper.pendingControlRequests();
      expect(request).to.include({ kind: "tier", requestedBy: "bob" });
      expect(request.payload).to.deep.equal({ tier: 2 });
      expect(printed).to.include("single execution ≤ $1,000, daily volume ≤ $5,000, min profit $50");
    });

    it("rejects anything but 1, 2 or 3", async () => {
      for (const tier of ["4", "0", "1.5", "two"]) {
        await rejection(
          runTask("keeper:tier", { journal: journalPath, tier }),
          new RegExp(`--tier "${tier.replace(".", "\\.")}" is not a tier; expected 1, 2 or 3`),
        );
      }
      await rejection(runTask("keeper:tier", { journal: journalPath }), /--tier is required/);
      expect(keeper.pendingControlRequests()).to.have.length(0);
    });
  });
});
