/**
 * Roles and administration: the Ignition module's deployment (and the parameter files that ship with it), the owner's
 * setters and their events, pause (owner or operator) and unpause (owner only), rescue to the owner only (safety
 * rule 5), two-step ownership, and the refusal of unusable addresses and market ids with an error naming the field.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import ChimeraExecutorModule from "../../../ignition/modules/ChimeraExecutorModule";
import { ChimeraExecutor__factory } from "../../../typechain-types";
import { executorFixture, sandboxAllowlist, sandboxMarkets, type ExecutorFixture } from "../../shared/executor-fixture";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { ZERO_ADDRESS } from "./helpers/plans";

const NATIVE_TOKEN = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";

describe("ChimeraExecutor: administration", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useExecutor(): Promise<ExecutorFixture> {
    return holdings.watch(await loadFixture(executorFixture));
  }

  describe("deployment through ChimeraExecutorModule", function () {
    it("sets owner, treasury, operators, the target allowlist and the market allowlist from the module's parameters", async function () {
      const f = await useExecutor();
      expect(await f.executor.owner()).to.equal(f.owner.address);
      expect(await f.executor.treasury()).to.equal(f.treasury.address);
      expect(await f.executor.isOperator(f.operator.address)).to.equal(true);
      expect(await f.executor.isOperator(f.outsider.address)).to.equal(false);
      for (const target of sandboxAllowlist(f.sandbox)) {
        expect(await f.executor.isAllowedTarget(target), target).to.equal(true);
      }
      expect(await f.executor.isAllowedTarget(f.outsider.address)).to.equal(false);
      const markets = sandboxMarkets(f.sandbox);
      expect(markets).to.have.length.greaterThan(0);
      for (const { host, marketId } of markets) {
        expect(await f.executor.isAllowedMarket(host, marketId), marketId).to.equal(true);
      }
      expect(await f.executor.isAllowedMarket(markets[0].host, hre.ethers.id("another market"))).to.equal(false);
      expect(await f.executor.paused()).to.equal(false);
      expect(await f.executor.NATIVE_TOKEN()).to.equal(NATIVE_TOKEN);
    });

    it("emits an event for every role, target and market the constructor grants", async function () {
      const f = await useExecutor();
      const [treasurySet] = await f.executor.queryFilter(f.executor.filters.TreasurySet());
      const receipt = await hre.ethers.provider.getTransactionReceipt(treasurySet.transactionHash);
      expect(receipt!.contractAddress).to.equal(await f.executor.getAddress());
      const names = receipt!.logs.map((log) => f.executor.interface.parseLog(log)?.name);
      expect(names.filter((n) => n === "TreasurySet")).to.have.length(1);
      expect(names.filter((n) => n === "OperatorSet")).to.have.length(1);
      expect(names.filter((n) => n === "AllowedTargetSet")).to.have.length(sandboxAllowlist(f.sandbox).length);
      expect(names.filter((n) => n === "AllowedMarketSet")).to.have.length(sandboxMarkets(f.sandbox).length);
      expect(names).to.include("OwnershipTransferred");
    });

    for (const field of ["owner", "treasury"] as const) {
      it(`refuses a zero ${field} with InvalidAddress("${field}", 0x0)`, async function () {
        const f = await useExecutor();
        const factory = new ChimeraExecutor__factory(f.owner);
        const args = { owner: f.owner.address, treasury: f.treasury.address, [field]: ZERO_ADDRESS };
        await expect(factory.deploy(args.owner, args.treasury, [], [], []))
          .to.be.revertedWithCustomError(factory, "InvalidAddress")
          .withArgs(field, ZERO_ADDRESS);
      });
    }

    // The shipped files are checked for what they must hold whatever an operator fills in (the README's deployment step
    // replaces the owner and treasury placeholders and commits the file): well-formed addresses and market ids that the
    // contract accepts, and a zero owner or treasury refused. Their current owner is not pinned either way.
    for (const network of ["base", "baseSepolia", "localhost", "mainnet"]) {
      it(`ignition/parameters/${network}.json deploys once owner and treasury are real, and is refused with either zero`, async function () {
        const f = await useExecutor();
        const file = path.join(hre.config.paths.root, "ignition", "parameters", `${network}.json`);
        const shipped = JSON.parse(fs.readFileSync(file, "utf8")).ChimeraExecutorModule;
        for (const field of ["owner", "treasury"]) {
          expect(hre.ethers.isAddress(shipped[field]), `${network}.json ${field}`).to.equal(true);
        }
        const deployWith = (overrides: Record<string, string>) =>
          hre.ignition.deploy(ChimeraExecutorModule, { parameters: { ChimeraExecutorModule: { ...shipped, ...overrides } } }).then(
            (deployed) => deployed.executor,
            (error: Error) => error,
          );
        const roles = { owner: f.owner.address, treasury: f.treasury.address };
        for (const field of ["owner", "treasury"] as const) {
          const failure = await deployWith({ ...roles, [field]: ZERO_ADDRESS });
          expect(failure).to.be.instanceOf(Error);
          expect((failure as Error).message).to.match(new RegExp(`InvalidAddress\\("${field}", "${ZERO_ADDRESS}"\\)`));
        }
        const deployed = await deployWith(roles);
        expect(deployed, `${network}.json with real roles`).to.not.be.instanceOf(Error);
        const executor = ChimeraExecutor__factory.connect(
          await (deployed as { getAddress(): Promise<string> }).getAddress(),
          hre.ethers.provider,
        );
        for (const target of shipped.allowlist as string[]) expect(await executor.isAllowedTarget(target), target).to.equal(true);
        for (const { host, marketId } of (shipped.markets ?? []) as { host: string; marketId: string }[]) {
          expect(await executor.isAllowedMarket(host, marketId), marketId).to.equal(true);
        }
      });
    }

    it("refuses a zero operator, allowlist entry, market host or market id at construction", async function () {
      const f = await useExecutor();
      const factory = new ChimeraExecutor__factory(f.owner);
      const morpho = f.sandbox.book.morphoBlue!.morpho;
      await expect(factory.deploy(f.owner.address, f.treasury.address, [ZERO_ADDRESS], [], []))
        .to.be.revertedWithCustomError(factory, "InvalidAddress")
        .withArgs("operator", ZERO_ADDRESS);
      await expect(factory.deploy(f.owner.address, f.treasury.address, [], [ZERO_ADDRESS], []))
        .to.be.revertedWithCustomError(factory, "InvalidAddress")
        .withArgs("target", ZERO_ADDRESS);
      await expect(factory.deploy(f.owner.address, f.treasury.address, [], [], [{ host: ZERO_ADDRESS, marketId: hre.ethers.id("m") }]))
        .to.be.revertedWithCustomError(factory, "InvalidAddress")
        .withArgs("host", ZERO_ADDRESS);
      await expect(factory.deploy(f.owner.address, f.treasury.address, [], [], [{ host: morpho, marketId: hre.ethers.ZeroHash }]))
        .to.be.revertedWithCustomError(factory, "InvalidMarketId")
        .withArgs(morpho, hre.ethers.ZeroHash);
    });
  });

  // The first 8 constructor targets and first 4 operators are kept in code (immutables) with one "allowed" bit each in
  // the treasury's storage slot, so that a plan reads no allowlist slot of its own; the rest live in mappings. Either way
  // the owner grants and revokes each one, and isAllowedTarget / isOperator answer the same.
  describe("targets and operators pinned in code at construction", function () {
    // Deployed from Hardhat's artifact (the instrumented build under coverage), not TypeChain's embedded bytecode.
    const deploy = async (f: ExecutorFixture, operators: readonly string[], targets: readonly string[]) => {
      const factory = await hre.ethers.getContractFactory("ChimeraExecutor", f.owner);
      const deployed = await factory.deploy(f.owner.address, f.treasury.address, [...operators], [...targets], []);
      return ChimeraExecutor__factory.connect(await deployed.getAddress(), f.owner);
    };
    const addresses = (count: number, seed: string) =>
      Array.from({ length: count }, (_, i) => hre.ethers.getAddress(hre.ethers.id(`${seed} ${i}`).slice(0, 42)));

    it("the owner revokes and re-grants a pinned target and one stored after the first eight; a listed-twice target is revoked everywhere", async function () {
      const f = await useExecutor();
      const targets = addresses(10, "target");
      // targets[1] again at index 8: past the pinned eight, so the constructor's second listing goes through the setter.
      const listed = [...targets.slice(0, 8), targets[1], targets[9]];
      const executor = await deploy(f, [], listed);
      for (const target of listed) expect(await executor.isAllowedTarget(target), target).to.equal(true);
      expect(await executor.isAllowedTarget(targets[8]), "never listed").to.equal(false);
      expect(await executor.isAllowedTarget(ZERO_ADDRESS)).to.equal(false);

      for (const target of [targets[0], targets[7], targets[9]]) {
        await expect(executor.setAllowedTarget(target, false)).to.emit(executor, "AllowedTargetSet").withArgs(target, false);
        expect(await executor.isAllowedTarget(target), target).to.equal(false);
        await (await executor.setAllowedTarget(target, true)).wait();
        expect(await executor.isAllowedTarget(target), target).to.equal(true);
      }
      await (await executor.setAllowedTarget(targets[1], false)).wait();
      expect(await executor.isAllowedTarget(targets[1])).to.equal(false);
      // Revoking one pinned target leaves the others as they were.
      for (const target of [targets[0], targets[2], targets[7], targets[9]]) expect(await executor.isAllowedTarget(target)).to.equal(true);
    });

    it("with fewer than eight targets and four operators, the unused pinned entries allow nothing, not even the zero address", async function () {
      const f = await useExecutor();
      const [target] = addresses(1, "lone target");
      const executor = await deploy(f, [f.operator.address], [target]);
      expect(await executor.isAllowedTarget(target)).to.equal(true);
      expect(await executor.isAllowedTarget(ZERO_ADDRESS)).to.equal(false);
      expect(await executor.isAllowedTarget(f.outsider.address)).to.equal(false);
      expect(await executor.isOperator(f.operator.address)).to.equal(true);
      expect(await executor.isOperator(ZERO_ADDRESS)).to.equal(false);
      expect(await executor.isOperator(f.outsider.address)).to.equal(false);
      // A target granted later is stored, and revoked like any other.
      await (await executor.setAllowedTarget(f.outsider.address, true)).wait();
      expect(await executor.isAllowedTarget(f.outsider.address)).to.equal(true);
      expect(await executor.isAllowedTarget(ZERO_ADDRESS)).to.equal(false);
    });

    it("the owner revokes and re-grants each of four pinned operators and a fifth stored one; a revoked pinned operator cannot pause", async function () {
      const f = await useExecutor();
      const signers = await hre.ethers.getSigners();
      const operators = signers.slice(5, 10);
      const executor = await deploy(
        f,
        operators.map((o) => o.address),
        [],
      );
      for (const operator of operators) expect(await executor.isOperator(operator.address), operator.address).to.equal(true);
      for (const operator of operators) {
        await expect(executor.setOperator(operator.address, false)).to.emit(executor, "OperatorSet").withArgs(operator.address, false);
        expect(await executor.isOperator(operator.address), operator.address).to.equal(false);
      }
      await expect(executor.connect(operators[3]).pause())
        .to.be.revertedWithCustomError(executor, "CallerNotOwnerOrOperator")
        .withArgs(operators[3].address);
      for (const operator of operators) {
        await (await executor.setOperator(operator.address, true)).wait();
        expect(await executor.isOperator(operator.address), operator.address).to.equal(true);
      }
      await expect(executor.connect(operators[3]).pause()).to.emit(executor, "Paused").withArgs(operators[3].address);
    });
  });

  describe("owner-only setters", function () {
    it("#setOperator grants and revokes, emitting OperatorSet; refuses the zero address", async function () {
      const f = await useExecutor();
      const admin = f.executor.connect(f.owner);
      await expect(admin.setOperator(f.outsider.address, true)).to.emit(f.executor, "OperatorSet").withArgs(f.outsider.address, true);
      expect(await f.executor.isOperator(f.outsider.address)).to.equal(true);
      await expect(admin.setOperator(f.outsider.address, false)).to.emit(f.executor, "OperatorSet").withArgs(f.outsider.address, false);
      expect(await f.executor.isOperator(f.outsider.address)).to.equal(false);
      await expect(admin.setOperator(ZERO_ADDRESS, true))
        .to.be.revertedWithCustomError(f.executor, "InvalidAddress")
        .withArgs("operator", ZERO_ADDRESS);
    });

    it("#setAllowedTarget and #setAllowedTargets change the allowlist, emitting AllowedTargetSet per target", async function () {
      const f = await useExecutor();
      const admin = f.executor.connect(f.owner);
      const [a, b] = [f.outsider.address, f.treasury.address];
      await expect(admin.setAllowedTarget(a, true)).to.emit(f.executor, "AllowedTargetSet").withArgs(a, true);
      await expect(admin.setAllowedTargets([a, b], false))
        .to.emit(f.executor, "AllowedTargetSet")
        .withArgs(a, false)
        .and.to.emit(f.executor, "AllowedTargetSet")
        .withArgs(b, false);
      expect(await f.executor.isAllowedTarget(a)).to.equal(false);
      expect(await f.executor.isAllowedTarget(b)).to.equal(false);
    });

    it("#setAllowedMarkets adds and removes Morpho markets by host and id, emitting AllowedMarketSet per market", async function () {
      const f = await useExecutor();
      const admin = f.executor.connect(f.owner);
      const morpho = f.sandbox.book.morphoBlue!.morpho;
      const [a, b] = [hre.ethers.id("market a"), hre.ethers.id("market b")];
      await expect(
        admin.setAllowedMarkets(
          [
            { host: morpho, marketId: a },
            { host: morpho, marketId: b },
          ],
          true,
        ),
      )
        .to.emit(f.executor, "AllowedMarketSet")
        .withArgs(morpho, a, true)
        .and.to.emit(f.executor, "AllowedMarketSet")
        .withArgs(morpho, b, true);
      expect(await f.executor.isAllowedMarket(morpho, a)).to.equal(true);
      await expect(admin.setAllowedMarkets([{ host: morpho, marketId: a }], false))
        .to.emit(f.executor, "AllowedMarketSet")
        .withArgs(morpho, a, false);
      expect(await f.executor.isAllowedMarket(morpho, a)).to.equal(false);
      expect(await f.executor.isAllowedMarket(morpho, b)).to.equal(true);
    });

    it("refuses a zero host, the executor as host, or a zero market id", async function () {
      const f = await useExecutor();
      const admin = f.executor.connect(f.owner);
      const self = await f.executor.getAddress();
      const morpho = f.sandbox.book.morphoBlue!.morpho;
      await expect(admin.setAllowedMarkets([{ host: ZERO_ADDRESS, marketId: hre.ethers.id("m") }], true))
        .to.be.revertedWithCustomError(f.executor, "InvalidAddress")
        .withArgs("host", ZERO_ADDRESS);
      await expect(admin.setAllowedMarkets([{ host: self, marketId: hre.ethers.id("m") }], true))
        .to.be.revertedWithCustomError(f.executor, "InvalidAddress")
        .withArgs("host", self);
      await expect(admin.setAllowedMarkets([{ host: morpho, marketId: hre.ethers.ZeroHash }], true))
        .to.be.revertedWithCustomError(f.executor, "InvalidMarketId")
        .withArgs(morpho, hre.ethers.ZeroHash);
    });

    it("refuses the zero address or the executor itself as an allowlisted target", async function () {
      const f = await useExecutor();
      const admin = f.executor.connect(f.owner);
      const self = await f.executor.getAddress();
      await expect(admin.setAllowedTarget(ZERO_ADDRESS, true))
        .to.be.revertedWithCustomError(f.executor, "InvalidAddress")
        .withArgs("target", ZERO_ADDRESS);
      await expect(admin.setAllowedTargets([f.outsider.address, self], true))
        .to.be.revertedWithCustomError(f.executor, "InvalidAddress")
        .withArgs("target", self);
    });

    it("#setTreasury moves profit elsewhere, emitting TreasurySet(previous, new); refuses zero and the executor", async function () {
      const f = await useExecutor();
      const admin = f.executor.connect(f.owner);
      await expect(admin.setTreasury(f.outsider.address))
        .to.emit(f.executor, "TreasurySet")
        .withArgs(f.treasury.address, f.outsider.address);
      expect(await f.executor.treasury()).to.equal(f.outsider.address);
      await expect(admin.setTreasury(ZERO_ADDRESS))
        .to.be.revertedWithCustomError(f.executor, "InvalidAddress")
        .withArgs("treasury", ZERO_ADDRESS);
      const self = await f.executor.getAddress();
      await expect(admin.setTreasury(self)).to.be.revertedWithCustomError(f.executor, "InvalidAddress").withArgs("treasury", self);
    });

    it("every owner-only function refuses the operator and outsiders", async function () {
      const f = await useExecutor();
      for (const caller of [f.operator, f.outsider]) {
        const as = f.executor.connect(caller);
        // Thunks, not promises: each call is sent only when its assertion awaits it.
        const calls = [
          () => as.setOperator(caller.address, true),
          () => as.setAllowedTarget(caller.address, true),
          () => as.setAllowedTargets([caller.address], true),
          () => as.setAllowedMarkets([{ host: caller.address, marketId: hre.ethers.id("m") }], true),
          () => as.setTreasury(caller.address),
          () => as.unpause(),
          () => as.rescueTokens(f.sandbox.book.tokens.USDC.address, 1n),
          () => as.transferOwnership(caller.address),
        ];
        for (const call of calls) {
          await expect(call()).to.be.revertedWithCustomError(f.executor, "OwnableUnauthorizedAccount").withArgs(caller.address);
        }
      }
    });
  });

  describe("pause", function () {
    it("an operator pauses; only the owner unpauses", async function () {
      const f = await useExecutor();
      await expect(f.executor.pause()).to.emit(f.executor, "Paused").withArgs(f.operator.address);
      expect(await f.executor.paused()).to.equal(true);
      await expect(f.executor.connect(f.operator).unpause())
        .to.be.revertedWithCustomError(f.executor, "OwnableUnauthorizedAccount")
        .withArgs(f.operator.address);
      await expect(f.executor.connect(f.owner).unpause()).to.emit(f.executor, "Unpaused").withArgs(f.owner.address);
      expect(await f.executor.paused()).to.equal(false);
    });

    it("the owner pauses too; an outsider cannot", async function () {
      const f = await useExecutor();
      await expect(f.executor.connect(f.outsider).pause())
        .to.be.revertedWithCustomError(f.executor, "CallerNotOwnerOrOperator")
        .withArgs(f.outsider.address);
      await expect(f.executor.connect(f.owner).pause()).to.emit(f.executor, "Paused").withArgs(f.owner.address);
    });

    it("pausing twice reverts EnforcedPause; unpausing while running reverts ExpectedPause", async function () {
      const f = await useExecutor();
      await expect(f.executor.connect(f.owner).unpause()).to.be.revertedWithCustomError(f.executor, "ExpectedPause");
      await (await f.executor.pause()).wait();
      await expect(f.executor.pause()).to.be.revertedWithCustomError(f.executor, "EnforcedPause");
    });
  });

  describe("#rescueTokens", function () {
    it("sends a stray ERC-20 to the owner, never to the caller's choice", async function () {
      const f = await useExecutor();
      const usdc = f.sandbox.tokens.USDC;
      const amount = 1_234n * 10n ** 6n;
      await (await usdc.connect(f.sandbox.deployer)["mint(address,uint256)"](f.executor, amount)).wait();
      const before = await usdc.balanceOf(f.owner.address);
      await expect(f.executor.connect(f.owner).rescueTokens(usdc, amount))
        .to.emit(f.executor, "TokensRescued")
        .withArgs(await usdc.getAddress(), f.owner.address, amount);
      expect((await usdc.balanceOf(f.owner.address)) - before).to.equal(amount);
    });

    it("sends ETH (0xEeee...EEeE) to the owner", async function () {
      const f = await useExecutor();
      const amount = 10n ** 18n;
      // The executor has no payable function: ETH can only arrive forced (self-destruct, block reward).
      await setBalance(await f.executor.getAddress(), amount);
      const before = await hre.ethers.provider.getBalance(f.owner.address);
      const receipt = await (await f.executor.connect(f.owner).rescueTokens(NATIVE_TOKEN, amount)).wait();
      const gas = receipt!.gasUsed * receipt!.gasPrice;
      expect((await hre.ethers.provider.getBalance(f.owner.address)) - before + gas).to.equal(amount);
    });

    it("reverts when the executor holds less than asked", async function () {
      const f = await useExecutor();
      await expect(f.executor.connect(f.owner).rescueTokens(NATIVE_TOKEN, 1n)).to.be.revertedWithCustomError(
        f.executor,
        "InsufficientBalance",
      );
      await expect(f.executor.connect(f.owner).rescueTokens(f.sandbox.book.tokens.USDC.address, 1n)).to.be.reverted;
    });

    it("refuses ETH sent directly (no receive function), so nothing accumulates by accident", async function () {
      const f = await useExecutor();
      await expect(f.outsider.sendTransaction({ to: f.executor, value: 1n })).to.be.reverted;
    });
  });

  describe("ownership", function () {
    it("transfers in two steps: the new owner must accept, and only it can", async function () {
      const f = await useExecutor();
      const [, , , , , newOwner] = await hre.ethers.getSigners();
      await expect(f.executor.connect(f.owner).transferOwnership(newOwner.address))
        .to.emit(f.executor, "OwnershipTransferStarted")
        .withArgs(f.owner.address, newOwner.address);
      expect(await f.executor.owner()).to.equal(f.owner.address);
      expect(await f.executor.pendingOwner()).to.equal(newOwner.address);
      await expect(f.executor.connect(f.outsider).acceptOwnership())
        .to.be.revertedWithCustomError(f.executor, "OwnableUnauthorizedAccount")
        .withArgs(f.outsider.address);

      await expect(f.executor.connect(newOwner).acceptOwnership())
        .to.emit(f.executor, "OwnershipTransferred")
        .withArgs(f.owner.address, newOwner.address);
      expect(await f.executor.owner()).to.equal(newOwner.address);
      await expect(f.executor.connect(f.owner).setTreasury(f.outsider.address))
        .to.be.revertedWithCustomError(f.executor, "OwnableUnauthorizedAccount")
        .withArgs(f.owner.address);
      await expect(f.executor.connect(newOwner).setTreasury(f.outsider.address)).to.emit(f.executor, "TreasurySet");
    });

    it("cannot be renounced", async function () {
      const f = await useExecutor();
      await expect(f.executor.connect(f.owner).renounceOwnership()).to.be.revertedWithCustomError(f.executor, "RenounceOwnershipDisabled");
      expect(await f.executor.owner()).to.equal(f.owner.address);
    });
  });
});
