/**
 * A control request queued while no keeper runs is judged at the next start against the chain as it is
 * then, not against what the keeper saw before it stopped (issue 12, class 9): a keeper HALTED by a
 * paused executor stops; the owner unpauses; the operator queues keeper:resume (which says nobody runs
 * and what the next start will check); the next keeper re-reads the pause state before it applies the
 * queue, so the resume is applied instead of being rejected against the stale trigger and used up.
 * Real keeper sessions on the sandbox, executor deployed through Ignition.
 */
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { requestResume } from "../../../../tasks/keeper-control";
import {
  deployKeeperExecutor,
  makeScratchDirectory,
  openSandboxKeeperSession,
  type ScratchDirectory,
} from "../../../shared/keeper-harness";
import { sandboxFixture } from "../../../shared/sandbox-fixture";

describe("engine: requests queued while the keeper was down", function () {
  this.timeout(300_000);
  // No chain snapshot of our own: the sandbox comes from loadFixture, which reverts to its own snapshot
  // for the next test that asks (reverting to an earlier one here would invalidate that snapshot).
  let scratch: ScratchDirectory;
  let journalPath: string;

  beforeEach(() => {
    scratch = makeScratchDirectory("chimera-queued-");
    journalPath = path.join(scratch.path, "journal.sqlite");
  });

  afterEach(() => scratch.remove());

  it("re-reads the breaker's triggers at start before applying a queued resume, which then applies", async () => {
    const sandbox = await loadFixture(sandboxFixture);
    const { operator, executor, signers } = await deployKeeperExecutor(hre, sandbox);
    const owner = ChimeraExecutor__factory.connect(executor, signers[1]!);
    const inputs = { sandbox, executor, operator, journalPath: journalPath };

    const first = await openSandboxKeeperSession(hre, inputs);
    try {
      await first.engine.start();
      await owner.pause();
      await hre.network.provider.send("evm_mine", []);
      await first.engine.tick();
      expect(first.assembled.risk.breaker.describe().haltedBy?.trigger).to.equal("executor-paused");
    } finally {
      await first.close("test: stopped while HALTED");
    }

    await owner.unpause();
    const printed: string[] = [];
    const queued = await requestResume(
      { journal: journalPath, reason: "unpaused by the owner", operator: "alice" },
      { network: "hardhat", projectRoot: hre.config.paths.root, env: {}, print: (line) => void printed.push(line) },
    );
    expect(queued.keeperRunning).to.equal(false);
    expect(printed.join("\n")).to.match(/No keeper is running on this journal .*stays queued for the next start/);

    const second = await openSandboxKeeperSession(hre, inputs);
    try {
      expect(second.assembled.risk.breaker.state, "restored HALTED from the journal").to.equal("HALTED");
      await second.engine.start();
      const request = second.journal.getControlRequest(queued.request.id)!;
      expect(request.outcome, request.outcomeDetail ?? "").to.equal("applied");
      expect(second.assembled.risk.breaker.state).to.equal("NORMAL");
      const transitions = second.journal.listSystemEvents({ kinds: ["breaker_transition"] }).map((event) => event.detail);
      expect(transitions.at(-1)).to.match(/HALTED → NORMAL: unpaused by the owner/);
    } finally {
      await second.close("test finished");
    }
  });
});
