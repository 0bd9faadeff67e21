/**
 * transfer-ownership and accept-ownership between accounts (a Safe as new owner is in safe-owner.test.ts): the
 * two steps, the no-ops, and the refusals, checked against Ownable2Step's owner() and pendingOwner().
 */
import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress } from "ethers";
import type { TaskOutcome } from "../../../tasks/lib/operator-task";
import { openTaskTest, type CapturedOutput, type DeployedExecutor } from "./helpers/deployed-executor";
import { rejection } from "./helpers/rejection";

describe("tasks: transfer-ownership, accept-ownership", () => {
  let f: DeployedExecutor;
  let output: CapturedOutput;
  let restore: () => void = () => undefined;

  beforeEach(async () => {
    ({ f, output, restore } = await openTaskTest());
  });
  afterEach(() => restore());

  it("proposes, then the new owner accepts; the old owner keeps control until then", async () => {
    await hre.run("transfer-ownership", { to: f.outsider.address });
    expect(await f.executor.owner()).to.equal(f.owner.address);
    expect(await f.executor.pendingOwner()).to.equal(f.outsider.address);
    expect(output.text()).to.include(`npx hardhat accept-ownership --network hardhat`).and.to.include(`--from ${f.outsider.address}`);

    await hre.run("accept-ownership", {});
    expect(await f.executor.owner()).to.equal(f.outsider.address);
    expect(await f.executor.pendingOwner()).to.equal(ZeroAddress);
  });

  it("accept-ownership refuses a signer other than the pending owner, naming it", async () => {
    await hre.run("transfer-ownership", { to: f.outsider.address });
    const message = await rejection(hre.run("accept-ownership", { from: f.owner.address }), /must be signed by the pending owner/);
    expect(message).to.include(f.outsider.address);
    expect(await f.executor.owner()).to.equal(f.owner.address);
  });

  it("accept-ownership without a pending transfer explains how to start one", async () => {
    await rejection(hre.run("accept-ownership", {}), /no ownership transfer is pending.*transfer-ownership --to/);
  });

  it("proposing the owner or the pending owner again is a no-op", async () => {
    expect(((await hre.run("transfer-ownership", { to: f.owner.address })) as TaskOutcome).kind).to.equal("no-op");
    await hre.run("transfer-ownership", { to: f.outsider.address });
    const nonce = await hre.ethers.provider.getTransactionCount(f.owner.address);
    expect(((await hre.run("transfer-ownership", { to: f.outsider.address })) as TaskOutcome).kind).to.equal("no-op");
    expect(output.text()).to.include("already the pending owner");
    expect(await hre.ethers.provider.getTransactionCount(f.owner.address)).to.equal(nonce);
  });

  it("only the owner may propose; the executor itself and the zero address are refused", async () => {
    await rejection(hre.run("transfer-ownership", { to: f.outsider.address, from: f.operator.address }), /must be signed by the owner/);
    await rejection(hre.run("transfer-ownership", { to: f.address }), /is the executor itself/);
    await rejection(hre.run("transfer-ownership", { to: ZeroAddress }), /--to is the zero address/);
    expect(await f.executor.pendingOwner()).to.equal(ZeroAddress);
  });
});
