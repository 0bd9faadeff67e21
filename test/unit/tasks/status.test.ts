/**
 * status against the Ignition-deployed executor in the sandbox, with a keeper journal written through the
 * Journal class the keeper uses. Operators and the allowlist must come out of the contract's events (it cannot
 * enumerate its mappings) and match what the mappings say now.
 */
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { getAddress, parseEther } from "ethers";
import { fundAccount } from "../../../sandbox";
import { Journal } from "../../../keeper/journal/journal";
import type { ExecutorStatus } from "../../../tasks/status";
import { journalSent, attempt, makePlan } from "../keeper/journal/journal-fixtures";
import { postgresServer } from "../../shared/postgres-server";
import { openTaskTest, scratchDir, type CapturedOutput, type DeployedExecutor } from "./helpers/deployed-executor";

describe("tasks: status", () => {
  let f: DeployedExecutor;
  let output: CapturedOutput;
  let restore: () => void = () => undefined;
  let journalPath: string;

  beforeEach(async () => {
    ({ f, output, restore } = await openTaskTest());
    journalPath = path.join(scratchDir("journal"), "keeper-hardhat.sqlite");
  });
  afterEach(() => restore());

  it("lists roles from events, confirmed by the mappings: a revoked operator and a removed target are gone", async () => {
    await f.executor.setOperator(f.outsider.address, true);
    await f.executor.setOperator(f.outsider.address, false);
    const removed = f.parameters.ChimeraExecutorModule.allowlist[0];
    await f.executor.setAllowedTarget(removed, false);

    const status = (await hre.run("status", { journal: journalPath })) as ExecutorStatus;
    expect(status.owner.address).to.equal(f.owner.address);
    expect(status.owner.isContract).to.equal(false);
    expect(status.pendingOwner).to.equal(null);
    expect(status.paused).to.equal(false);
    expect(status.treasury).to.equal(f.treasury.address);
    expect(status.operators.map((o) => o.address)).to.deep.equal([f.operator.address]);
    const expectedAllowlist = f.parameters.ChimeraExecutorModule.allowlist.filter((a) => a !== removed).map((a) => getAddress(a));
    expect([...status.allowlist].sort()).to.deep.equal(expectedAllowlist.sort());
    expect(status.deploymentId).to.equal("chain-8453");
    expect(output.text()).to.include(`owner          ${f.owner.address}`).and.to.include(`no journal at ${journalPath}`);
  });

  it("shows what the executor holds and warns about it, and about an operator under --min-operator-eth", async () => {
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, 1_250_000n);
    await hre.network.provider.send("hardhat_setBalance", [f.operator.address, hre.ethers.toQuantity(parseEther("0.004"))]);
    const status = (await hre.run("status", { journal: journalPath, minOperatorEth: "0.005" })) as ExecutorStatus;
    expect(status.balances.find((b) => b.symbol === "USDC")?.balance).to.equal(1_250_000n);
    expect(status.operators[0].ethBalance).to.equal(parseEther("0.004"));
    expect(status.operators[0].warning).to.include("below the 0.005 ETH floor");
    expect(output.text()).to.include("1.25 USDC").and.to.include("LOW (floor 0.005 ETH)").and.to.include("withdraw --all");

    const healthy = (await hre.run("status", { journal: journalPath, minOperatorEth: "0.001" })) as ExecutorStatus;
    expect(healthy.operators[0].warning).to.equal(null);
  });

  it("reads the keeper journal: newest executions first, breaker state, pending control requests", async () => {
    const journal = Journal.open(journalPath);
    try {
      for (const [index, id] of ["plan-a", "plan-b", "plan-c"].entries()) {
        journal.planExecution(makePlan({ id }), { mode: "LIVE" });
        journal.markSimulated(id);
        if (index === 2) {
          const tx = attempt(3);
          journalSent(journal, id, tx);
        }
      }
      journal.recordSystemEvent({
        kind: "breaker_transition",
        actor: "breaker",
        detail: "NORMAL → HALTED: realised loss",
        data: { from: "NORMAL", to: "HALTED" },
      });
      journal.enqueueControlRequest("halt", { reason: "drill" }, "alice");
    } finally {
      journal.close();
    }
    const status = (await hre.run("status", { journal: journalPath, executions: 2, json: true })) as ExecutorStatus;
    expect(status.keeper.present).to.equal(true);
    expect(status.keeper.lastExecutions.map((e) => e.planId)).to.deep.equal(["plan-c", "plan-b"]);
    expect(status.keeper.breaker?.state).to.equal("HALTED");
    expect(status.keeper.pendingControlRequests.map((r) => r.kind)).to.deep.equal(["halt"]);
    expect(status.warnings.join("\n")).to.include("circuit breaker is HALTED");

    const printed = JSON.parse(output.text()) as {
      keeper: { lastExecutions: Array<{ planId: string; flashAmount: string }> };
      owner: { address: string };
    };
    expect(printed.owner.address).to.equal(f.owner.address);
    expect(printed.keeper.lastExecutions[0].planId).to.equal("plan-c");
    expect(printed.keeper.lastExecutions[0].flashAmount).to.be.a("string"); // bigints as decimal strings
  });

  it("reads a PostgreSQL journal (--journal or KEEPER_DATABASE_URL) and says which keeper leads, since when", async () => {
    const url = await (await postgresServer()).createDatabase("status");
    const journal = Journal.open(url);
    const lease = journal.acquireLease("instance-1", "pid 77 on ops-1", 60_000)!;
    journal.close();
    const status = (await hre.run("status", { journal: url })) as ExecutorStatus;
    expect(status.keeper.present).to.equal(true);
    expect(status.keeper.leader).to.deep.include({ instance: "pid 77 on ops-1", since: lease.acquiredAt, live: true });
    expect(output.text()).to.include(`leader       pid 77 on ops-1, leading since ${new Date(lease.acquiredAt).toISOString()}`);

    const stopped = Journal.open(url);
    stopped.releaseLease("instance-1");
    stopped.close();
    const saved = process.env.KEEPER_DATABASE_URL;
    process.env.KEEPER_DATABASE_URL = url;
    try {
      const after = (await hre.run("status", {})) as ExecutorStatus;
      expect(after.keeper.leader?.live, "the lease was given back").to.equal(false);
      expect(output.text()).to.include("leader       none running (last: pid 77 on ops-1");
    } finally {
      if (saved === undefined) delete process.env.KEEPER_DATABASE_URL;
      else process.env.KEEPER_DATABASE_URL = saved;
    }
  });

  it("rejects a malformed --min-operator-eth", async () => {
    let message = "";
    await hre.run("status", { journal: journalPath, minOperatorEth: "lots" }).catch((error: Error) => (message = error.message));
    expect(message).to.match(/--min-operator-eth "lots" is not an ETH amount/);
  });
});
