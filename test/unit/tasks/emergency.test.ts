/**
 * emergency with an account as owner (the Safe owner's batch is in safe-owner.test.ts): the pause is on chain, the
 * halt request is in the keeper's journal where a keeper would read it, and the owner gets the exact withdraw
 * command. When nobody configured may pause, nothing at all happens.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { fundAccount } from "../../../sandbox";
import { Journal } from "../../../keeper/journal/journal";
import type { EmergencyResult } from "../../../tasks/emergency";
import { openTaskTest, scratchDir, type CapturedOutput, type DeployedExecutor } from "./helpers/deployed-executor";
import { rejection } from "./helpers/rejection";

describe("tasks: emergency (owner is an account)", () => {
  let f: DeployedExecutor;
  let output: CapturedOutput;
  let restore: () => void = () => undefined;
  let journalPath: string;

  beforeEach(async () => {
    ({ f, output, restore } = await openTaskTest());
    journalPath = path.join(scratchDir("journal"), "keeper-hardhat.sqlite");
    Journal.open(journalPath).close(); // a keeper has run here: the journal exists
  });
  afterEach(() => restore());

  function pendingRequests() {
    const journal = Journal.open(journalPath, { readonly: true });
    try {
      return journal.pendingControlRequests();
    } finally {
      journal.close();
    }
  }

  it("pauses with the operator key, queues a keeper halt, and prints the owner's withdraw --all command", async () => {
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, 3_000_000n);
    const result = (await hre.run("emergency", {
      from: f.operator.address,
      journal: journalPath,
      reason: "oracle incident",
    })) as EmergencyResult;

    expect(await f.executor.paused()).to.equal(true);
    expect(result.pause.kind).to.equal("sent");
    const requests = pendingRequests();
    expect(requests).to.have.length(1);
    expect(requests[0].kind).to.equal("halt");
    expect(requests[0].payload).to.deep.equal({ reason: "oracle incident" });
    expect(result.halt).to.deep.equal({ kind: "requested", journalPath, requestId: requests[0].id });

    const command = `npx hardhat withdraw --all --network hardhat --from ${f.owner.address}`;
    expect(result.withdraw).to.deep.equal({ kind: "command", command });
    expect(await f.sandbox.tokens.USDC.balanceOf(f.address)).to.equal(3_000_000n); // the owner withdraws, not emergency
    expect(output.text()).to.include("What the owner must do next").and.to.include(command);
  });

  it("says there is nothing to halt when no keeper journal exists", async () => {
    const missing = path.join(scratchDir("journal"), "keeper-hardhat.sqlite");
    const result = (await hre.run("emergency", { journal: missing })) as EmergencyResult;
    expect(result.halt.kind).to.equal("no-journal");
    expect(output.text()).to.include(`no keeper journal at ${missing}; nothing to halt`);
    expect(fs.existsSync(missing)).to.equal(false);
    expect(await f.executor.paused()).to.equal(true);
  });

  it("--dry-run pauses nothing, queues nothing and sends nothing", async () => {
    const nonces = async () => Promise.all([f.owner, f.operator].map((s) => hre.ethers.provider.getTransactionCount(s.address)));
    const before = await nonces();
    const result = (await hre.run("emergency", { journal: journalPath, dryRun: true })) as EmergencyResult;
    expect(result.pause.kind).to.equal("dry-run");
    expect(result.halt.kind).to.equal("dry-run");
    expect(await f.executor.paused()).to.equal(false);
    expect(pendingRequests()).to.have.length(0);
    expect(await nonces()).to.deep.equal(before);
    expect(output.text()).to.include(f.executor.interface.getFunction("pause").selector);
  });

  it("when the signer may not pause, stops before doing anything and names who may", async () => {
    const message = await rejection(
      hre.run("emergency", { from: f.outsider.address, journal: journalPath }),
      /emergency \(pause\) must be signed by the owner/,
    );
    expect(message).to.include(f.operator.address);
    expect(await f.executor.paused()).to.equal(false);
    expect(pendingRequests()).to.have.length(0);
  });
});
