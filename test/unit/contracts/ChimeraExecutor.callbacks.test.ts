/**
 * Safety rule 1: every callback is accepted only from the contract the executor's own in-flight plan called, while it
 * waits for that callback; Aave's also only for a loan the executor itself started. Each test tries to break it:
 * direct spoofs, spoofs from the genuine protocol addresses, third parties starting flash loans that name the
 * executor, and a token with transfer hooks (contracts/test/ReentrantHookToken.sol) re-entering at the exact moment a
 * callback is awaited.
 */
import hre from "hardhat";
import { expect } from "chai";
import { impersonateAccount, loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { AbiCoder } from "ethers";
import { AerodromeRouterDouble__factory, type ChimeraExecutor, type ReentrantHookToken } from "../../../typechain-types";
import { AERODROME_POOL_FACTORY } from "./helpers/venues";
import { morphoMarketId } from "../../../sandbox";
import { executorFixture, type ExecutorFixture } from "../../shared/executor-fixture";
import { checkExecutorHoldsNothingAfterEach } from "./helpers/invariants";
import { outcomeOf } from "./helpers/outcomes";
import { unhealthyMorphoPositions } from "./helpers/positions";
import { deployHookToken, fundVaultWithHookToken, hookCollateralMarket, listHookTokenOnAave } from "./helpers/attacks";
import {
  FlashSource,
  NO_FLASH_LOAN,
  aaveLiquidation,
  aerodromeSwap,
  flashLoan,
  morphoLiquidation,
  packedPath,
  uniswapSwap,
  type PlanStruct,
} from "./helpers/plans";
import { deadline } from "./helpers/deadline";

const ONE_USDC = 10n ** 6n;

/** Calldata for each callback with harmless arguments: what an attacker would send. */
function callbackCalls(executor: ChimeraExecutor, token: string): Record<string, string> {
  const i = executor.interface;
  return {
    receiveFlashLoan: i.encodeFunctionData("receiveFlashLoan", [[token], [ONE_USDC], [0n], "0x"]),
    onMorphoFlashLoan: i.encodeFunctionData("onMorphoFlashLoan", [ONE_USDC, "0x"]),
    executeOperation: i.encodeFunctionData("executeOperation", [token, ONE_USDC, 0n, executor.target as string, "0x"]),
    uniswapV3FlashCallback: i.encodeFunctionData("uniswapV3FlashCallback", [0n, 0n, "0x"]),
    onMorphoLiquidate: i.encodeFunctionData("onMorphoLiquidate", [ONE_USDC, "0x"]),
  };
}

/** The genuine protocol contract that delivers each callback in the sandbox. */
function callbackSenders(f: ExecutorFixture): Record<string, string> {
  const { book } = f.sandbox;
  return {
    receiveFlashLoan: book.flash.balancerVault!,
    onMorphoFlashLoan: book.morphoBlue!.morpho,
    executeOperation: book.aaveV3!.pool,
    uniswapV3FlashCallback: book.flash.uniswapV3Pools!["WETH/USDC/3000"],
    onMorphoLiquidate: book.morphoBlue!.morpho,
  };
}

async function impersonate(address: string): Promise<HardhatEthersSigner> {
  await impersonateAccount(address);
  await setBalance(address, 10n ** 18n);
  return hre.ethers.getSigner(address);
}

describe("ChimeraExecutor: callback authentication and reentrancy", function () {
  const holdings = checkExecutorHoldsNothingAfterEach();

  async function useExecutor(): Promise<ExecutorFixture> {
    return holdings.watch(await loadFixture(executorFixture));
  }

  /** A fresh hook token, added to the tokens the afterEach invariant checks. */
  async function useHookToken(f: ExecutorFixture): Promise<ReentrantHookToken> {
    const hook = await deployHookToken(f.sandbox);
    holdings.widen({ tokens: [await hook.getAddress()] });
    return hook;
  }

  describe("callbacks outside any plan", function () {
    for (const callback of ["receiveFlashLoan", "onMorphoFlashLoan", "executeOperation", "uniswapV3FlashCallback", "onMorphoLiquidate"]) {
      it(`#${callback} reverts CallbackOutsideExecution when anyone calls it directly`, async function () {
        const f = await useExecutor();
        const data = callbackCalls(f.executor, f.sandbox.book.tokens.USDC.address)[callback];
        await expect(f.outsider.sendTransaction({ to: f.executor, data }))
          .to.be.revertedWithCustomError(f.executor, "CallbackOutsideExecution")
          .withArgs(f.outsider.address);
      });

      it(`#${callback} reverts CallbackOutsideExecution even from the genuine protocol contract`, async function () {
        const f = await useExecutor();
        const sender = await impersonate(callbackSenders(f)[callback]);
        const data = callbackCalls(f.executor, f.sandbox.book.tokens.USDC.address)[callback];
        await expect(sender.sendTransaction({ to: f.executor, data }))
          .to.be.revertedWithCustomError(f.executor, "CallbackOutsideExecution")
          .withArgs(sender.address);
      });
    }
  });

  describe("flash loans started by a third party", function () {
    it("an Aave flashLoanSimple naming the executor as receiver reverts CallbackOutsideExecution", async function () {
      const f = await useExecutor();
      const pool = f.sandbox.aave.pool;
      await expect(pool.connect(f.outsider).flashLoanSimple(f.executor, f.sandbox.book.tokens.USDC.address, 1_000n * ONE_USDC, "0x", 0))
        .to.be.revertedWithCustomError(f.executor, "CallbackOutsideExecution")
        .withArgs(await pool.getAddress());
    });

    it("a Balancer flashLoan with the executor as recipient reverts CallbackOutsideExecution", async function () {
      const f = await useExecutor();
      const vault = f.sandbox.balancer.vault;
      await expect(vault.connect(f.outsider).flashLoan(f.executor, [f.sandbox.book.tokens.USDC.address], [1_000n * ONE_USDC], "0x"))
        .to.be.revertedWithCustomError(f.executor, "CallbackOutsideExecution")
        .withArgs(await vault.getAddress());
    });
  });

  describe("re-entry through a token with transfer hooks, while a callback is awaited", function () {
    /** A plan that flash-borrows the hook token from Balancer around a real, self-funded Morpho liquidation. */
    async function hookFlashPlan(f: ExecutorFixture, hook: ReentrantHookToken): Promise<PlanStruct> {
      const [position] = await unhealthyMorphoPositions(f.sandbox);
      const { book } = f.sandbox;
      return {
        flash: flashLoan(FlashSource.BalancerV2, book.flash.balancerVault!, await hook.getAddress(), 1_000n * 10n ** 18n),
        liquidation: morphoLiquidation({
          morpho: book.morphoBlue!.morpho,
          market: position.market,
          borrower: position.borrower,
          seizedAssets: position.collateral / 2n,
          swap: uniswapSwap(book.uniswapV3!.swapRouter02, packedPath([book.tokens.WETH.address, book.tokens.USDC.address], [500]), 0n),
        }),
        profitToken: book.tokens.USDC.address,
        minProfit: 1n,
        deadlineBlock: await deadline(),
      };
    }

    async function hookInVault(): Promise<{ f: ExecutorFixture; hook: ReentrantHookToken; plan: PlanStruct }> {
      const f = await useExecutor();
      const hook = await useHookToken(f);
      await fundVaultWithHookToken(f.sandbox, hook, 10_000n * 10n ** 18n);
      return { f, hook, plan: await hookFlashPlan(f, hook) };
    }

    it("control: a harmless hook fires during the Balancer flash loan and the plan still completes", async function () {
      const { f, hook, plan } = await hookInVault();
      await (await hook.setHook(f.executor, f.executor.interface.encodeFunctionData("paused"), false)).wait();
      const outcome = await outcomeOf(f.executor, f.executor.liquidate(plan));
      expect(outcome.plan.profit).to.be.greaterThan(0n);
      // Vault -> executor and executor -> Vault: the hook ran inside the loan, on both transfers.
      expect(await hook.hookSuccesses()).to.equal(2n);
    });

    it("a second plan submitted from inside the flash loan reverts ReentrancyGuardReentrantCall", async function () {
      const { f, hook, plan } = await hookInVault();
      // The hook replays the plan itself; it could only pass onlyOperator if the hook were an operator, so make it one:
      // the reentrancy guard must stop it anyway.
      await (await f.executor.connect(f.owner).setOperator(hook, true)).wait();
      await (await hook.setHook(f.executor, f.executor.interface.encodeFunctionData("liquidate", [plan]), false)).wait();
      await expect(f.executor.liquidate(plan)).to.be.revertedWithCustomError(f.executor, "ReentrancyGuardReentrantCall");
      expect(await hook.hookSuccesses()).to.equal(0n);
    });

    it("a batch submitted from inside the flash loan reverts ReentrancyGuardReentrantCall too", async function () {
      const { f, hook, plan } = await hookInVault();
      await (await f.executor.connect(f.owner).setOperator(hook, true)).wait();
      const batch = { ...plan, liquidations: [plan.liquidation] };
      await (await hook.setHook(f.executor, f.executor.interface.encodeFunctionData("liquidateBatch", [batch]), false)).wait();
      await expect(f.executor.liquidateBatch(batch)).to.be.revertedWithCustomError(f.executor, "ReentrancyGuardReentrantCall");
    });

    it("even the owner cannot rescue tokens from inside a running plan", async function () {
      const { f, hook, plan } = await hookInVault();
      // Make the hook token the owner (two steps: the hook accepts on the next transfer), then have it try to pull the
      // flash-loaned tokens out mid-plan.
      await (await f.executor.connect(f.owner).transferOwnership(hook)).wait();
      await (await hook.setHook(f.executor, f.executor.interface.encodeFunctionData("acceptOwnership"), false)).wait();
      await (await hook.mint(f.outsider.address, 1n)).wait();
      expect(await f.executor.owner()).to.equal(await hook.getAddress());
      const rescue = f.executor.interface.encodeFunctionData("rescueTokens", [await hook.getAddress(), 1n]);
      await (await hook.setHook(f.executor, rescue, false)).wait();
      await expect(f.executor.liquidate(plan)).to.be.revertedWithCustomError(f.executor, "ReentrancyGuardReentrantCall");
    });

    it("a spoofed receiveFlashLoan while the Vault's callback is awaited reverts UntrustedCallbackSender", async function () {
      const { f, hook, plan } = await hookInVault();
      const data = f.executor.interface.encodeFunctionData("receiveFlashLoan", [
        [await hook.getAddress()],
        [1n],
        [0n],
        AbiCoder.defaultAbiCoder().encode(["address", "uint256", "bytes"], [await hook.getAddress(), 1n, "0x"]),
      ]);
      await (await hook.setHook(f.executor, data, false)).wait();
      await expect(f.executor.liquidate(plan))
        .to.be.revertedWithCustomError(f.executor, "UntrustedCallbackSender")
        .withArgs(await hook.getAddress(), f.sandbox.book.flash.balancerVault!);
    });

    it("a spoofed onMorphoLiquidate while a flash callback is awaited reverts UnexpectedCallback", async function () {
      const { f, hook, plan } = await hookInVault();
      await (await hook.setHook(f.executor, callbackCalls(f.executor, await hook.getAddress()).onMorphoLiquidate, false)).wait();
      await expect(f.executor.liquidate(plan))
        .to.be.revertedWithCustomError(f.executor, "UnexpectedCallback")
        .withArgs(await hook.getAddress());
    });

    it("a spoofed onMorphoLiquidate while Morpho's own callback is awaited is refused with UntrustedCallbackSender", async function () {
      const f = await useExecutor();
      const hook = await useHookToken(f);
      const victim = await hookCollateralMarket(f.sandbox, hook);
      const { book } = f.sandbox;
      // The owner allowlists the market: what is under test is the callback check, not the market allowlist.
      await (
        await f.executor
          .connect(f.owner)
          .setAllowedMarkets([{ host: book.morphoBlue!.morpho, marketId: morphoMarketId(victim.market) }], true)
      ).wait();
      const hookAddress = await hook.getAddress();
      // The seized HOOK is sold on a router double holding HOOK/USDC at the oracle's price (0.9 USDC per HOOK).
      const router = await new AerodromeRouterDouble__factory(f.sandbox.deployer).deploy(AERODROME_POOL_FACTORY);
      const [hookReserve, usdcReserve] = [1_000_000n * 10n ** 18n, 900_000n * ONE_USDC];
      await (await hook.mint(f.sandbox.deployer.address, hookReserve)).wait();
      await (
        await f.sandbox.tokens.USDC.connect(f.sandbox.deployer)["mint(address,uint256)"](f.sandbox.deployer.address, usdcReserve)
      ).wait();
      await (await hook.connect(f.sandbox.deployer).approve(router, hookReserve)).wait();
      await (await f.sandbox.tokens.USDC.connect(f.sandbox.deployer).approve(router, usdcReserve)).wait();
      await (await router.addLiquidity(hookAddress, book.tokens.USDC.address, false, hookReserve, usdcReserve)).wait();
      await (await f.executor.connect(f.owner).setAllowedTarget(router, true)).wait();
      holdings.widen({ spenders: [await router.getAddress()] });

      // Morpho sends the seized HOOK (firing the hook) before it calls onMorphoLiquidate, so the spoof lands while
      // that callback is awaited. Morpho's SafeTransferLib would replace the executor's error with its own
      // "transfer reverted", so the hook records the error instead and lets the genuine liquidation finish.
      await (await hook.setHook(f.executor, callbackCalls(f.executor, hookAddress).onMorphoLiquidate, true)).wait();
      const outcome = await outcomeOf(
        f.executor,
        f.executor.liquidate({
          flash: NO_FLASH_LOAN,
          liquidation: morphoLiquidation({
            morpho: book.morphoBlue!.morpho,
            market: victim.market,
            borrower: victim.borrower,
            seizedAssets: victim.collateral / 10n,
            swap: aerodromeSwap(
              await router.getAddress(),
              [{ from: hookAddress, to: book.tokens.USDC.address, stable: false, factory: AERODROME_POOL_FACTORY }],
              0n,
            ),
          }),
          profitToken: book.tokens.USDC.address,
          minProfit: 1n,
          deadlineBlock: await deadline(),
        }),
      );

      expect(outcome.plan.profit).to.be.greaterThan(0n);
      const failures = await hook.hookFailures();
      expect(failures.length).to.be.greaterThan(0);
      const firstError = f.executor.interface.parseError(failures[0]);
      expect(firstError?.name).to.equal("UntrustedCallbackSender");
      expect(firstError?.args.toArray()).to.deep.equal([hookAddress, book.morphoBlue!.morpho]);
      // Later transfers (the sale, Morpho's pull) happen after the callback was consumed: refused as unexpected.
      for (const later of failures.slice(1)) {
        expect(f.executor.interface.parseError(later)?.name).to.equal("UnexpectedCallback");
      }
      expect(await hook.hookSuccesses()).to.equal(0n);
    });

    it("an Aave flash loan the hook token starts inside the executor's own Aave flash loan reverts UntrustedFlashInitiator", async function () {
      const f = await useExecutor();
      const hook = await useHookToken(f);
      await listHookTokenOnAave(f.sandbox, hook, 10_000n * 10n ** 18n);
      const pool = f.sandbox.aave.pool;
      // When Aave hands the executor its HOOK loan, the hook starts a second loan naming the executor as receiver: it
      // arrives from the genuine pool, while the pool's callback is awaited, but with the hook as initiator.
      await (
        await hook.setHook(
          pool,
          pool.interface.encodeFunctionData("flashLoanSimple", [await f.executor.getAddress(), await hook.getAddress(), 1n, "0x", 0]),
          false,
        )
      ).wait();
      const { book } = f.sandbox;
      await expect(
        f.executor.liquidate({
          flash: flashLoan(FlashSource.AaveV3, book.aaveV3!.pool, await hook.getAddress(), 1_000n * 10n ** 18n),
          liquidation: aaveLiquidation({
            pool: book.aaveV3!.pool,
            borrower: f.outsider.address,
            collateralToken: book.tokens.WETH.address,
            debtToken: book.tokens.USDC.address,
            debtToCover: ONE_USDC,
          }),
          profitToken: book.tokens.USDC.address,
          minProfit: 0n,
          deadlineBlock: await deadline(),
        }),
      )
        .to.be.revertedWithCustomError(f.executor, "UntrustedFlashInitiator")
        .withArgs(await hook.getAddress());
    });
  });
});
