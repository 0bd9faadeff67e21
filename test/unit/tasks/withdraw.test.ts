/**
 * withdraw against the Ignition-deployed executor in the sandbox, owner an account (the Safe owner is in
 * safe-owner.test.ts). Balances are given to the executor directly (minted tokens, hardhat_setBalance for ETH)
 * because a healthy executor never keeps any: what matters is that the task takes exactly them back to the owner.
 */
import { expect } from "chai";
import hre from "hardhat";
import { MintableERC20__factory } from "../../../typechain-types";
import { fundAccount } from "../../../sandbox";
import type { TaskOutcome } from "../../../tasks/lib/operator-task";
import { NATIVE_TOKEN_ADDRESS } from "../../../tasks/lib/tokens";
import { openTaskTest, type CapturedOutput, type DeployedExecutor } from "./helpers/deployed-executor";
import { rejection } from "./helpers/rejection";

const USDC = (n: bigint) => n * 10n ** 6n;
const ETHER = 10n ** 18n;

describe("tasks: withdraw", () => {
  let f: DeployedExecutor;
  let output: CapturedOutput;
  let restore: () => void = () => undefined;

  beforeEach(async () => {
    ({ f, output, restore } = await openTaskTest());
  });
  afterEach(() => restore());

  const usdc = () => f.sandbox.tokens.USDC;
  const ownerNonce = () => hre.ethers.provider.getTransactionCount(f.owner.address);

  async function feeOf(hash: string): Promise<bigint> {
    const receipt = await hre.ethers.provider.getTransactionReceipt(hash);
    return receipt!.fee;
  }

  it("withdraws a human amount (1.5 USDC) by symbol to the owner and says the owner is the only recipient", async () => {
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, USDC(5n) / 2n);
    const ownerBefore = await usdc().balanceOf(f.owner.address);
    const outcome = (await hre.run("withdraw", { token: "USDC", amount: "1.5" })) as TaskOutcome;
    expect(outcome.kind).to.equal("sent");
    expect(await usdc().balanceOf(f.address)).to.equal(USDC(1n));
    expect((await usdc().balanceOf(f.owner.address)) - ownerBefore).to.equal(1_500_000n);
    expect(output.text()).to.include(`rescueTokens always pays the owner, ${f.owner.address}`);
    expect(output.text()).to.include(`rescueTokens(token=${await usdc().getAddress()}, amount=1500000)`);
  });

  it("withdraws ETH through the 0xEeee…EEeE pseudo-address", async () => {
    await fundAccount(hre, f.sandbox, "ETH", f.address as `0x${string}`, (3n * ETHER) / 10n);
    const ownerBefore = await hre.ethers.provider.getBalance(f.owner.address);
    const outcome = (await hre.run("withdraw", { token: "ETH", amount: "0.25" })) as TaskOutcome;
    if (outcome.kind !== "sent") throw new Error(`expected a sent withdrawal, got ${outcome.kind}`);
    expect(outcome.calls[0].args[0]).to.equal(NATIVE_TOKEN_ADDRESS);
    expect(await hre.ethers.provider.getBalance(f.address)).to.equal(ETHER / 20n);
    const fee = await feeOf(outcome.txHashes[0]);
    expect((await hre.ethers.provider.getBalance(f.owner.address)) - ownerBefore).to.equal(ETHER / 4n - fee);
  });

  it("--all empties every non-zero balance (book tokens, ETH and a --tokens extra), one transaction per token", async () => {
    const extra = await new MintableERC20__factory(f.sandbox.deployer).deploy("Stray Token", "STRAY", 9);
    const extraAddress = await extra.getAddress();
    await (await extra["mint(address,uint256)"](f.address, 123_456_789n)).wait();
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, USDC(7n));
    await fundAccount(hre, f.sandbox, "WETH", f.address as `0x${string}`, 2n * ETHER);
    await fundAccount(hre, f.sandbox, "ETH", f.address as `0x${string}`, ETHER);

    const outcome = (await hre.run("withdraw", { all: true, tokens: extraAddress })) as TaskOutcome;
    if (outcome.kind !== "sent") throw new Error(`expected sent, got ${outcome.kind}`);
    expect(outcome.txHashes).to.have.length(4);
    expect(await hre.ethers.provider.getBalance(f.address)).to.equal(0n);
    expect(await usdc().balanceOf(f.address)).to.equal(0n);
    expect(await f.sandbox.tokens.WETH.balanceOf(f.address)).to.equal(0n);
    expect(await extra.balanceOf(f.address)).to.equal(0n);
    expect(await extra.balanceOf(f.owner.address)).to.equal(123_456_789n);
    expect(output.text()).to.include("0.123456789 STRAY").and.to.include("7 USDC").and.to.include("2 WETH");
  });

  it("--all with nothing held is a no-op", async () => {
    const before = await ownerNonce();
    const outcome = (await hre.run("withdraw", { all: true })) as TaskOutcome;
    expect(outcome.kind).to.equal("no-op");
    expect(output.text()).to.include("Nothing to withdraw");
    expect(await ownerNonce()).to.equal(before);
  });

  it("refuses an unknown token, listing the known symbols, and sends nothing", async () => {
    const before = await ownerNonce();
    const message = await rejection(hre.run("withdraw", { token: "DOGE", amount: "1" }), /--token "DOGE" is not a known token/);
    expect(message).to.include("USDC").and.to.include("WETH").and.to.include("pass the token's address instead");
    await rejection(hre.run("withdraw", { token: f.outsider.address, amount: "1" }), /is not a contract on this network/);
    expect(await ownerNonce()).to.equal(before);
  });

  it("refuses zero, negative, over-precise and excessive amounts, and sends nothing", async () => {
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, USDC(2n));
    const before = await ownerNonce();
    await rejection(hre.run("withdraw", { token: "USDC", amount: "0" }), /--amount must be greater than zero/);
    await rejection(hre.run("withdraw", { token: "USDC", amount: "-1" }), /--amount "-1" is not an amount/);
    await rejection(hre.run("withdraw", { token: "USDC", amount: "1.1234567" }), /7 decimal places but USDC has only 6/);
    await rejection(hre.run("withdraw", { token: "USDC", amount: "3" }), /holds 2 USDC, less than --amount 3 USDC/);
    await rejection(hre.run("withdraw", { token: "USDC" }), /--amount is required/);
    await rejection(hre.run("withdraw", { all: true, token: "USDC" }), /cannot be combined/);
    expect(await usdc().balanceOf(f.address)).to.equal(USDC(2n));
    expect(await ownerNonce()).to.equal(before);
  });

  it("refuses a signer other than the owner, naming the owner", async () => {
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, USDC(2n));
    const message = await rejection(
      hre.run("withdraw", { token: "USDC", amount: "1", from: f.operator.address }),
      /must be signed by the owner/,
    );
    expect(message).to.include(f.owner.address);
    expect(await usdc().balanceOf(f.address)).to.equal(USDC(2n));
  });

  it("--dry-run prints the rescueTokens calldata and sends nothing", async () => {
    await fundAccount(hre, f.sandbox, "USDC", f.address as `0x${string}`, USDC(2n));
    const before = await ownerNonce();
    const outcome = (await hre.run("withdraw", { token: "USDC", amount: "2", dryRun: true })) as TaskOutcome;
    expect(outcome.kind).to.equal("dry-run");
    expect(await ownerNonce()).to.equal(before);
    expect(await usdc().balanceOf(f.address)).to.equal(USDC(2n));
    expect(output.text()).to.include(f.executor.interface.encodeFunctionData("rescueTokens", [await usdc().getAddress(), USDC(2n)]));
  });
});
