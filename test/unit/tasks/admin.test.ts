/**
 * pause, unpause, set-operator, set-treasury, allow-target and allow-market run through `hre.run` against the executor Ignition
 * deployed into the sandbox, found through its deployment folder. Each test checks the chain afterwards: the state
 * changed as asked, or (wrong signer, no-op, bad argument, dry run) nothing was sent at all.
 */
import fs from "node:fs";
import { expect } from "chai";
import hre from "hardhat";
import { openTaskTest, captureTaskIo, scratchDir, type CapturedOutput, type DeployedExecutor } from "./helpers/deployed-executor";
import { rejection } from "./helpers/rejection";
import type { TaskOutcome } from "../../../tasks/lib/operator-task";
import { morphoMarketId } from "../../../sandbox";

describe("tasks: pause, unpause, set-operator, set-treasury, allow-target, allow-market", () => {
  let f: DeployedExecutor;
  let output: CapturedOutput;
  let restore: () => void = () => undefined;

  beforeEach(async () => {
    ({ f, output, restore } = await openTaskTest());
  });
  afterEach(() => restore());

  async function nonces(): Promise<number[]> {
    return Promise.all([f.owner, f.operator, f.outsider, f.treasury].map((s) => hre.ethers.provider.getTransactionCount(s.address)));
  }

  describe("pause", () => {
    it("an operator key pauses the executor found through its Ignition deployment", async () => {
      const outcome = (await hre.run("pause", { from: f.operator.address })) as TaskOutcome;
      expect(outcome.kind).to.equal("sent");
      expect(await f.executor.paused()).to.equal(true);
      expect(output.text()).to.include(f.address).and.to.include("pause()");
    });

    it("without --from, picks the first configured account that may pause (account 1, the owner)", async () => {
      const outcome = (await hre.run("pause", {})) as TaskOutcome;
      expect(outcome.kind === "sent" && outcome.route.kind === "send" && outcome.route.signer.address).to.equal(f.owner.address);
      expect(await f.executor.paused()).to.equal(true);
    });

    it("refuses a signer that is neither owner nor operator, names who may, and sends nothing", async () => {
      const before = await nonces();
      const message = await rejection(hre.run("pause", { from: f.outsider.address }), /must be signed by the owner/);
      expect(message).to.include(f.owner.address).and.to.include(f.operator.address).and.to.include("Nothing was sent");
      expect(await f.executor.paused()).to.equal(false);
      expect(await nonces()).to.deep.equal(before);
    });

    it("reports a pause of a paused executor as a no-op and sends nothing", async () => {
      await f.executor.connect(f.operator).pause();
      const before = await nonces();
      const outcome = (await hre.run("pause", { from: f.operator.address })) as TaskOutcome;
      expect(outcome.kind).to.equal("no-op");
      expect(output.text()).to.match(/already paused.*Nothing was sent/);
      expect(await nonces()).to.deep.equal(before);
    });

    it("--dry-run prints target and calldata, and leaves nonce and state unchanged", async () => {
      const before = await nonces();
      const outcome = (await hre.run("pause", { from: f.operator.address, dryRun: true })) as TaskOutcome;
      expect(outcome.kind).to.equal("dry-run");
      expect(await f.executor.paused()).to.equal(false);
      expect(await nonces()).to.deep.equal(before);
      const selector = f.executor.interface.getFunction("pause").selector;
      expect(output.text())
        .to.match(new RegExp(`target: +${f.address}`))
        .and.to.match(new RegExp(`calldata: +${selector}`))
        .and.to.include("Dry run: nothing was sent");
    });
  });

  describe("unpause", () => {
    it("the owner unpauses", async () => {
      await f.executor.connect(f.operator).pause();
      await hre.run("unpause", {});
      expect(await f.executor.paused()).to.equal(false);
    });

    it("an operator may not unpause: the error names the owner and nothing is sent", async () => {
      await f.executor.connect(f.operator).pause();
      const before = await nonces();
      const message = await rejection(hre.run("unpause", { from: f.operator.address }), /must be signed by the owner/);
      expect(message).to.include(f.owner.address).and.to.include(`--from ${f.owner.address}`);
      expect(await f.executor.paused()).to.equal(true);
      expect(await nonces()).to.deep.equal(before);
    });

    it("reports unpause of a running executor as a no-op", async () => {
      const before = await nonces();
      const outcome = (await hre.run("unpause", {})) as TaskOutcome;
      expect(outcome.kind).to.equal("no-op");
      expect(output.text()).to.include("is not paused");
      expect(await nonces()).to.deep.equal(before);
    });
  });

  describe("set-operator", () => {
    it("grants and revokes the role", async () => {
      await hre.run("set-operator", { operator: f.outsider.address });
      expect(await f.executor.isOperator(f.outsider.address)).to.equal(true);
      await hre.run("set-operator", { operator: f.outsider.address, remove: true });
      expect(await f.executor.isOperator(f.outsider.address)).to.equal(false);
    });

    it("an operator that is already set is a no-op", async () => {
      const before = await nonces();
      const outcome = (await hre.run("set-operator", { operator: f.operator.address })) as TaskOutcome;
      expect(outcome.kind).to.equal("no-op");
      expect(output.text()).to.include("is already an operator");
      expect(await nonces()).to.deep.equal(before);
    });

    it("rejects an address with a broken checksum, naming the flag", async () => {
      const broken = f.outsider.address.replace(/[a-f]/, (c) => c.toUpperCase());
      await rejection(hre.run("set-operator", { operator: broken }), /--operator .* invalid EIP-55 checksum/);
      await rejection(hre.run("set-operator", { operator: "0x1234" }), /--operator "0x1234" is not an address/);
      expect(await f.executor.isOperator(f.outsider.address)).to.equal(false);
    });

    it("--dry-run prints the decoded call and sends nothing", async () => {
      const before = await nonces();
      await hre.run("set-operator", { operator: f.outsider.address, dryRun: true });
      expect(await f.executor.isOperator(f.outsider.address)).to.equal(false);
      expect(await nonces()).to.deep.equal(before);
      const calldata = f.executor.interface.encodeFunctionData("setOperator", [f.outsider.address, true]);
      expect(output.text()).to.include(calldata).and.to.include(`setOperator(operator=${f.outsider.address}, allowed=true)`);
    });
  });

  describe("set-treasury", () => {
    it("moves the treasury; the same treasury again is a no-op; the executor itself is refused", async () => {
      await hre.run("set-treasury", { treasury: f.outsider.address });
      expect(await f.executor.treasury()).to.equal(f.outsider.address);
      const outcome = (await hre.run("set-treasury", { treasury: f.outsider.address })) as TaskOutcome;
      expect(outcome.kind).to.equal("no-op");
      await rejection(hre.run("set-treasury", { treasury: f.address }), /is the executor itself/);
      await rejection(
        hre.run("set-treasury", { treasury: "0x0000000000000000000000000000000000000000" }),
        /--treasury is the zero address/,
      );
      expect(await f.executor.treasury()).to.equal(f.outsider.address);
    });
  });

  describe("allow-target", () => {
    it("allows several contracts in one setAllowedTargets call, skipping those already allowed, and removes them", async () => {
      const weth = f.sandbox.book.tokens.WETH.address;
      const usdc = f.sandbox.book.tokens.USDC.address;
      const pool = f.sandbox.book.aaveV3!.pool; // already allowed by the deployment
      const outcome = (await hre.run("allow-target", { target: `${weth},${usdc},${pool}` })) as TaskOutcome;
      expect(outcome.kind === "sent" && outcome.calls.map((c) => c.method)).to.deep.equal(["setAllowedTargets"]);
      expect(output.text()).to.include(`skipped: ${pool}`);
      expect(await f.executor.isAllowedTarget(weth)).to.equal(true);
      expect(await f.executor.isAllowedTarget(usdc)).to.equal(true);
      await hre.run("allow-target", { target: weth, remove: true });
      expect(await f.executor.isAllowedTarget(weth)).to.equal(false);
      expect(await f.executor.isAllowedTarget(usdc)).to.equal(true);
    });

    it("refuses to allow an account without code and sends nothing", async () => {
      const before = await nonces();
      await rejection(hre.run("allow-target", { target: f.outsider.address }), /has no contract code/);
      expect(await f.executor.isAllowedTarget(f.outsider.address)).to.equal(false);
      expect(await nonces()).to.deep.equal(before);
    });
  });

  describe("allow-market", () => {
    const morphoOf = () => f.sandbox.book.morphoBlue!.morpho;
    const idsOf = () => f.sandbox.book.morphoBlue!.markets.map((params) => morphoMarketId(params));

    it("removes and re-allows Morpho markets by id in one setAllowedMarkets call, printing what each market is", async () => {
      const [first, second] = idsOf();
      await hre.run("allow-market", { host: morphoOf(), market: first, remove: true });
      expect(await f.executor.isAllowedMarket(morphoOf(), first)).to.equal(false);
      const outcome = (await hre.run("allow-market", { host: morphoOf(), market: `${first},${second}` })) as TaskOutcome;
      expect(outcome.kind === "sent" && outcome.calls.map((c) => c.method)).to.deep.equal(["setAllowedMarkets"]);
      expect(output.text()).to.include(`skipped: ${second}`);
      const params = f.sandbox.book.morphoBlue!.markets[0];
      expect(output.text())
        .to.include(`loan ${params.loanToken}`)
        .and.to.include(`collateral ${params.collateralToken}`)
        .and.to.include("lltv 86%");
      expect(await f.executor.isAllowedMarket(morphoOf(), first)).to.equal(true);
      expect(await f.executor.isAllowedMarket(morphoOf(), second)).to.equal(true);
    });

    it("an allowed market is a no-op and sends nothing", async () => {
      const before = await nonces();
      const outcome = (await hre.run("allow-market", { host: morphoOf(), market: idsOf()[0] })) as TaskOutcome;
      expect(outcome.kind).to.equal("no-op");
      expect(output.text()).to.include("already allowed");
      expect(await nonces()).to.deep.equal(before);
    });

    it("refuses an id the host has no market for, and a host without code; sends nothing", async () => {
      const before = await nonces();
      const unknown = hre.ethers.id("no such market");
      await rejection(
        hre.run("allow-market", { host: morphoOf(), market: unknown }),
        /is not a market of Morpho .*idToMarketParams is empty/,
      );
      await rejection(hre.run("allow-market", { host: f.outsider.address, market: idsOf()[0] }), /--host .* has no contract code/);
      await rejection(hre.run("allow-market", { host: f.address, market: idsOf()[0] }), /--host .* is the executor itself/);
      expect(await f.executor.isAllowedMarket(morphoOf(), unknown)).to.equal(false);
      expect(await nonces()).to.deep.equal(before);
    });

    it("rejects a malformed, zero or missing market id, naming the flag", async () => {
      await rejection(hre.run("allow-market", { host: morphoOf(), market: "0x1234" }), /--market "0x1234" is not a market id/);
      await rejection(hre.run("allow-market", { host: morphoOf(), market: hre.ethers.ZeroHash }), /--market 0x0+ is zero/);
      await rejection(hre.run("allow-market", { host: morphoOf() }), /--market is required/);
      await rejection(hre.run("allow-market", { market: idsOf()[0] }), /--host is required/);
    });

    it("--dry-run prints the decoded call and sends nothing", async () => {
      const [first] = idsOf();
      const before = await nonces();
      await hre.run("allow-market", { host: morphoOf(), market: first, remove: true, dryRun: true });
      expect(await f.executor.isAllowedMarket(morphoOf(), first)).to.equal(true);
      expect(await nonces()).to.deep.equal(before);
      const calldata = f.executor.interface.encodeFunctionData("setAllowedMarkets", [[{ host: morphoOf(), marketId: first }], false]);
      expect(output.text()).to.include(calldata).and.to.include("setAllowedMarkets(");
    });
  });

  describe("finding the executor", () => {
    it("without a deployment, the error gives the exact deploy command and nothing is sent", async () => {
      restore();
      const empty = captureTaskIo({ ignitionDir: scratchDir("no-deployment"), reportsDir: f.reportsDir });
      restore = empty.restore;
      const before = await nonces();
      const message = await rejection(hre.run("pause", {}), /no executor deployment for network "hardhat"/);
      expect(message).to.include(
        "npx hardhat ignition deploy ignition/modules/ChimeraExecutorModule.ts --network hardhat --parameters ignition/parameters/hardhat.json",
      );
      expect(message).to.include("--executor <address>");
      expect(await nonces()).to.deep.equal(before);
    });

    it("--executor works without any deployment folder; an address without code is refused", async () => {
      restore();
      restore = captureTaskIo({ ignitionDir: scratchDir("no-deployment"), reportsDir: f.reportsDir }).restore;
      await hre.run("pause", { executor: f.address, from: f.operator.address });
      expect(await f.executor.paused()).to.equal(true);
      await rejection(hre.run("unpause", { executor: f.outsider.address }), /no contract at/);
    });

    it("--deployment-id reads another deployment folder", async () => {
      const renamed = scratchDir("renamed");
      fs.cpSync(`${f.ignitionDir}/deployments/chain-8453`, `${renamed}/deployments/rehearsal`, { recursive: true });
      restore();
      restore = captureTaskIo({ ignitionDir: renamed, reportsDir: f.reportsDir }).restore;
      await rejection(hre.run("pause", {}), /deployed_addresses\.json does not exist/);
      await hre.run("pause", { deploymentId: "rehearsal" });
      expect(await f.executor.paused()).to.equal(true);
    });
  });
});
