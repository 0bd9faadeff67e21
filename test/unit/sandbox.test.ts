/**
 * The sandbox itself: every piece the keeper and the executor rely on works on the genuine bytecode it deploys.
 * Test doubles used here (and why): Chainlink MockV3Aggregator price feeds (aggregators have no production bytecode
 * to deploy offline) and MorphoChainlinkOracleDouble (Morpho's ChainlinkOracle ships no npm bytecode).
 */
/// <reference types="chai-as-promised" />
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Interface } from "ethers";
import {
  FlashLoanRoundTripper__factory,
  IMulticall3__factory,
  IOracle__factory,
  MockV3Aggregator__factory,
  UniswapV3Pool__factory,
  VariableDebtToken__factory,
} from "../../typechain-types";
import {
  BASE_WETH_ADDRESS,
  MULTICALL3_ADDRESS,
  buildSandbox,
  SANDBOX_EMODES,
  SANDBOX_RESERVES,
  describeProtocolVersions,
  describeSandbox,
  fundAccount,
  readSandboxAddressBook,
  setPrice,
  writeSandboxAddressBook,
  type Sandbox,
  type SandboxOptions,
} from "../../sandbox";
import { humanPriceFromSqrtX96 } from "../../sandbox/uniswap-math";
import { sandboxFixture, sandboxV302Fixture } from "../shared/sandbox-fixture";
import { runSandboxTask } from "../../tasks/sandbox";
import type { Address } from "../../keeper/config/address-book";
import { openWethUsdcBorrower } from "../shared/one-aave-borrower";

const WAD = 10n ** 18n;

/** The error message a build with `options` fails with (options are validated before anything is deployed). */
async function buildFails(options: SandboxOptions): Promise<string> {
  try {
    await buildSandbox(hre, options);
    return "built";
  } catch (error) {
    return (error as Error).message;
  }
}

function relativeDifference(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

async function liquidator() {
  return (await hre.ethers.getSigners())[5];
}

describe("sandbox", function () {
  describe("#buildSandbox", function () {
    it("describes a Base-like market in its address book", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const { book } = sandbox;
      expect(book.network).to.equal("sandbox");
      expect(book.chainId).to.equal(8453);
      expect(book.aaveV3?.liquidationRules).to.equal("v3.3");
      expect(book.weth).to.equal(BASE_WETH_ADDRESS);
      expect(book.multicall3).to.equal(MULTICALL3_ADDRESS);
      expect(Object.keys(book.tokens).sort()).to.deep.equal(["USDC", "WETH", "cbBTC", "cbETH"]);
      expect(book.tokens.USDC.decimals).to.equal(6);
      expect(book.tokens.cbBTC.decimals).to.equal(8);
      expect(book.chainlink.ethUsd).to.equal(await sandbox.priceFeeds.WETH.getAddress());
      expect(book.flash.uniswapV3Pools).to.deep.equal(sandbox.uniswap.pools);
    });

    it("stands up Aave v3.6 as Base runs it by default: an L2Pool reporting POOL_REVISION 10", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const { aave } = sandbox;
      if (aave.version !== "v3.6") throw new Error(`the default Aave market is ${aave.version}, expected v3.6`);
      expect(aave.revision).to.equal(10);
      expect(await aave.pool.POOL_REVISION()).to.equal(10n);
      // L2Pool's packed-calldata entry point (asset id 0 = WETH, useAsCollateral = false) answers: an L2Pool.
      const args = hre.ethers.zeroPadValue("0x00", 32);
      await expect(aave.l2Pool.connect(sandbox.deployer)["setUserUseReserveAsCollateral(bytes32)"](args))
        .to.emit(aave.l2Pool, "ReserveUsedAsCollateralDisabled")
        .withArgs(BASE_WETH_ADDRESS, sandbox.deployer.address);
      // Base's e-mode category: WETH and cbETH as collateral, WETH borrowable, 90/93/1%.
      const [spec] = SANDBOX_EMODES;
      const category = await aave.pool.getEModeCategoryData(spec.id);
      expect([category.ltv, category.liquidationThreshold, category.liquidationBonus, category.label]).to.deep.equal([
        9_000n,
        9_300n,
        10_100n,
        spec.label,
      ]);
      const ids = await Promise.all(
        ["WETH", "cbETH"].map(async (symbol) => (await aave.pool.getReserveData(sandbox.book.tokens[symbol].address)).id),
      );
      expect(await aave.l2Pool.getEModeCategoryCollateralBitmap(spec.id)).to.equal(ids.reduce((bits, id) => bits | (1n << id), 0n));
      expect(await aave.l2Pool.getEModeCategoryBorrowableBitmap(spec.id)).to.equal(1n << ids[0]);
    });

    it("stands up Aave v3.0.2 by name, with the same reserves, e-mode and premium (POOL_REVISION 1)", async function () {
      const sandbox = await loadFixture(sandboxV302Fixture);
      expect(sandbox.aave.version).to.equal("v3.0.2");
      expect(sandbox.aave.revision).to.equal(1);
      expect(sandbox.book.aaveV3?.liquidationRules).to.equal("v3.0");
      expect(await sandbox.aave.pool.FLASHLOAN_PREMIUM_TOTAL()).to.equal(5n);
      expect(await sandbox.aave.pool.getReservesList()).to.have.length(SANDBOX_RESERVES.length);
      for (const symbol of ["WETH", "cbETH"]) {
        expect(await sandbox.aave.dataProvider.getReserveEModeCategory(sandbox.book.tokens[symbol].address), symbol).to.equal(1n);
      }
      expect(await buildFails({ aaveVersion: "v3.1" as "v3.6" })).to.match(/unknown Aave version "v3.1": expected one of "v3.6", "v3.0.2"/);
    });

    it("types the handles both versions share with v3.0.2 bindings: every such function has the same ABI in v3.6", async function () {
      // The v3.0.2-only functions (stable rate, bridging/unbacked, the old e-mode and premium setters) are listed; any
      // other difference would make a shared handle call something v3.6 does not have.
      const pairs = [
        ["protocol/pool/Pool.sol/Pool.json", "@aave-dao/aave-v3-origin/src/contracts/instances/L2PoolInstance.sol:L2PoolInstance"],
        [
          "misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json",
          "contracts/test/AaveV36Imports.sol:AaveV36ProtocolDataProvider",
        ],
        ["misc/AaveOracle.sol/AaveOracle.json", "contracts/test/AaveV36Imports.sol:AaveV36Oracle"],
        [
          "protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json",
          "contracts/test/AaveV36Imports.sol:AaveV36PoolAddressesProvider",
        ],
      ];
      const v302Only = new Set([
        "BRIDGE_PROTOCOL_FEE()",
        "MAX_STABLE_RATE_BORROW_SIZE_PERCENT()",
        "backUnbacked(address,uint256,uint256)",
        "configureEModeCategory(uint8,(uint16,uint16,uint16,address,string))",
        "finalizeTransfer(address,address,address,uint256,uint256,uint256)",
        "initReserve(address,address,address,address,address)",
        "mintUnbacked(address,uint256,address,uint16)",
        "rebalanceStableBorrowRate(address,address)",
        "setReserveInterestRateStrategyAddress(address,address)",
        "swapBorrowRateMode(address,uint256)",
        "updateBridgeProtocolFee(uint256)",
        "updateFlashloanPremiums(uint128,uint128)",
        "getReserveEModeCategory(address)",
        "getUnbackedMintCap(address)",
        "BackUnbacked(address,address,uint256,uint256)",
        "MintUnbacked(address,address,address,uint256,uint16)",
        "RebalanceStableBorrowRate(address,address)",
        "SwapBorrowRateMode(address,address,uint8)",
      ]);
      const signatures = (abi: ConstructorParameters<typeof Interface>[0]) =>
        new Map(
          new Interface(abi).fragments
            .filter((f) => f.type === "function" || f.type === "event")
            .map((f) => [f.format("sighash"), f.format("minimal")] as const),
        );
      const differences: string[] = [];
      for (const [v302, v36] of pairs) {
        const old = signatures(JSON.parse(fs.readFileSync(path.join("node_modules/@aave/core-v3/artifacts/contracts", v302), "utf8")).abi);
        const current = signatures((await hre.artifacts.readArtifact(v36)).abi);
        for (const [sighash, full] of old) {
          if (!v302Only.has(sighash) && current.get(sighash) !== full) differences.push(`${v36} lacks ${full}`);
        }
      }
      expect(differences).to.deep.equal([]);
    });

    it("lists the canonical WETH9 (with its metadata) as Aave's WETH reserve", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      expect(await sandbox.tokens.WETH.getAddress()).to.equal(BASE_WETH_ADDRESS);
      expect(await sandbox.tokens.WETH.decimals()).to.equal(18n);
      expect(await sandbox.tokens.WETH.symbol()).to.equal("WETH");
      const reserves = await sandbox.aave.pool.getReservesList();
      expect(reserves).to.include(BASE_WETH_ADDRESS);
      expect(reserves).to.have.length(SANDBOX_RESERVES.length);
    });

    it("configures Aave with flash loans at 5 bps and WETH at 80/82.5/5%", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      expect(await sandbox.aave.pool.FLASHLOAN_PREMIUM_TOTAL()).to.equal(5n);
      const weth = await sandbox.aave.dataProvider.getReserveConfigurationData(BASE_WETH_ADDRESS);
      expect([weth.ltv, weth.liquidationThreshold, weth.liquidationBonus]).to.deep.equal([8000n, 8250n, 10500n]);
      for (const token of Object.values(sandbox.book.tokens)) {
        expect(await sandbox.aave.dataProvider.getFlashLoanEnabled(token.address), token.symbol).to.equal(true);
      }
    });

    it("gives cbETH no Uniswap pool at any fee tier (the collateral with no liquid route)", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const cbEth = sandbox.book.tokens.cbETH.address;
      for (const other of ["WETH", "USDC", "cbBTC"]) {
        for (const fee of [100, 500, 3000, 10000]) {
          expect(await sandbox.uniswap.factory.getPool(cbEth, sandbox.book.tokens[other].address, fee)).to.equal(hre.ethers.ZeroAddress);
        }
      }
    });

    it("reports the L2 sequencer up, and up long enough to be past any grace period", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const feed = MockV3Aggregator__factory.connect(sandbox.book.chainlink.sequencerUptime!, hre.ethers.provider);
      const round = await feed.latestRoundData();
      const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
      expect(round.answer).to.equal(0n);
      expect(now - round.startedAt).to.be.greaterThan(24n * 3600n);
    });

    it("prints each protocol's version (Aave's pool revision read from the pool), then one health line per market", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const versions = await describeProtocolVersions(sandbox);
      expect(versions[0]).to.match(/^Aave V3 v3\.6 \(L2Pool, @aave-dao\/aave-v3-origin 3\.6\.0\): POOL_REVISION 10 at 0x/);
      expect(versions[1]).to.match(/^Morpho Blue 1\.0 \(@morpho-org\/morpho-blue 1\.0\.0/);
      const older = await describeProtocolVersions(await loadFixture(sandboxV302Fixture));
      expect(older[0]).to.match(/^Aave V3 v3\.0\.2 \(@aave\/core-v3 1\.19\.3\): POOL_REVISION 1 at 0x/);

      const lines = await describeSandbox(await loadFixture(sandboxFixture));
      expect(lines.slice(0, versions.length)).to.deep.equal(versions);
      const expected =
        versions.length + SANDBOX_RESERVES.length + Object.keys(sandbox.uniswap.pools).length + sandbox.morpho.markets.length + 2;
      expect(lines).to.have.length(expected);
      expect(lines.at(-1))
        .to.match(/Multicall3 deployed/)
        .and.match(/sequencer up/);
    });
  });

  describe("Multicall3", function () {
    it("answers aggregate3 at its canonical address, including an allowed failure", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const multicall = IMulticall3__factory.connect(MULTICALL3_ADDRESS, hre.ethers.provider);
      const poolInterface = sandbox.aave.pool.interface;
      const calls = [
        { target: BASE_WETH_ADDRESS, allowFailure: false, callData: sandbox.tokens.WETH.interface.encodeFunctionData("decimals") },
        {
          target: sandbox.book.aaveV3!.pool,
          allowFailure: false,
          callData: poolInterface.encodeFunctionData("getUserAccountData", [sandbox.deployer.address]),
        },
        // A call that reverts (no code at this address answers decimals()).
        { target: MULTICALL3_ADDRESS, allowFailure: true, callData: sandbox.tokens.WETH.interface.encodeFunctionData("decimals") },
      ];
      const results = (await multicall.aggregate3.staticCall(calls)) as { success: boolean; returnData: string }[];
      expect(results.map((r) => r.success)).to.deep.equal([true, true, false]);
      expect(BigInt(results[0].returnData)).to.equal(18n);
      const account = poolInterface.decodeFunctionResult("getUserAccountData", results[1].returnData);
      expect(account.totalCollateralBase).to.equal(
        (await sandbox.aave.pool.getUserAccountData(sandbox.deployer.address)).totalCollateralBase,
      );
    });
  });

  describe("Aave V3", function () {
    it("liquidates a position a price move made unhealthy, paying the liquidator the bonus minus the protocol fee", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const borrower = await openWethUsdcBorrower(hre, sandbox, { seed: 11, healthFactor: 1.1, debtUsd: 20_000 });
      await setPrice(hre, sandbox, "WETH", 2_600);
      const before = await sandbox.aave.pool.getUserAccountData(borrower.address);
      expect(before.healthFactor).to.be.lessThan(WAD);

      const keeper = await liquidator();
      // HF ~0.953 and both sides over $2,000: the close factor is 50% (v3.0 and v3.3+ alike).
      const debtToCover = borrower.debtAmount / 2n;
      await fundAccount(hre, sandbox, "USDC", keeper.address as Address, debtToCover);
      await sandbox.tokens.USDC.connect(keeper).approve(sandbox.book.aaveV3!.pool, debtToCover);
      const wethBefore = await sandbox.tokens.WETH.balanceOf(keeper.address);
      await sandbox.aave.pool
        .connect(keeper)
        .liquidationCall(BASE_WETH_ADDRESS, sandbox.book.tokens.USDC.address, borrower.address, debtToCover, false);
      const received = (await sandbox.tokens.WETH.balanceOf(keeper.address)) - wethBefore;

      // collateral = debt value / collateral price * bonus; Aave keeps protocolFee% of the bonus part.
      const usdcPrice = await sandbox.aave.oracle.getAssetPrice(sandbox.book.tokens.USDC.address);
      const wethPrice = await sandbox.aave.oracle.getAssetPrice(BASE_WETH_ADDRESS);
      const base = (debtToCover * usdcPrice * 10n ** 18n) / (wethPrice * 10n ** 6n);
      const withBonus = (base * 10_500n) / 10_000n;
      const protocolFee = ((withBonus - (withBonus * 10_000n) / 10_500n) * 1_000n) / 10_000n;
      const expected = withBonus - protocolFee;
      expect(relativeDifference(Number(received), Number(expected))).to.be.lessThan(1e-9);
      const debtToken = (await sandbox.aave.dataProvider.getReserveTokensAddresses(sandbox.book.tokens.USDC.address))
        .variableDebtTokenAddress;
      const debtLeft = await VariableDebtToken__factory.connect(debtToken, hre.ethers.provider).balanceOf(borrower.address);
      expect(relativeDifference(Number(debtLeft), Number(borrower.debtAmount - debtToCover))).to.be.lessThan(1e-6);
    });
  });

  describe("Uniswap V3", function () {
    it("delivers through SwapRouter02 exactly what QuoterV2 quoted, with small impact for a $50k swap", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const trader = await liquidator();
      const amountIn = 50_000n * 10n ** 6n;
      await fundAccount(hre, sandbox, "USDC", trader.address as Address, amountIn);
      const params = {
        tokenIn: sandbox.book.tokens.USDC.address,
        tokenOut: BASE_WETH_ADDRESS,
        fee: 500,
        amountIn,
        sqrtPriceLimitX96: 0n,
      };
      const [quoted] = await sandbox.uniswap.quoter.quoteExactInputSingle.staticCall(params);

      await sandbox.tokens.USDC.connect(trader).approve(sandbox.book.uniswapV3!.swapRouter02, amountIn);
      const before = await sandbox.tokens.WETH.balanceOf(trader.address);
      await sandbox.uniswap.router.connect(trader).exactInputSingle({ ...params, recipient: trader.address, amountOutMinimum: quoted });
      const delivered = (await sandbox.tokens.WETH.balanceOf(trader.address)) - before;

      expect(delivered).to.equal(quoted);
      // At $3,000 and 5 bps fee, $50k buys ~16.658 WETH; a deep pool loses well under 0.2% to impact.
      const ideal = (amountIn * 10n ** 12n * 9_995n) / (3_000n * 10_000n);
      expect(relativeDifference(Number(delivered), Number(ideal))).to.be.lessThan(0.002);
    });

    it("moves a pool to the new feed price when setPrice is asked to, and leaves it alone otherwise", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const pool = UniswapV3Pool__factory.connect(sandbox.uniswap.pools["WETH/USDC/500"], hre.ethers.provider);
      const wethIsToken0 = (await pool.token0()) === BASE_WETH_ADDRESS;
      const wethPriceInPool = async () => {
        const price = humanPriceFromSqrtX96((await pool.slot0()).sqrtPriceX96, wethIsToken0 ? 18 : 6, wethIsToken0 ? 6 : 18);
        return wethIsToken0 ? price : 1 / price;
      };

      await setPrice(hre, sandbox, "WETH", 2_500);
      expect(relativeDifference(await wethPriceInPool(), 3_000)).to.be.lessThan(1e-6);
      expect(await sandbox.aave.oracle.getAssetPrice(BASE_WETH_ADDRESS)).to.equal(2_500n * 10n ** 8n);

      await setPrice(hre, sandbox, "WETH", 2_500, { movePools: true });
      expect(relativeDifference(await wethPriceInPool(), 2_500)).to.be.lessThan(1e-6);
    });
  });

  describe("Morpho Blue", function () {
    it("prices its markets from the same Chainlink feed as Aave", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const oracle = IOracle__factory.connect(sandbox.morpho.markets[0].oracle, hre.ethers.provider);
      // WETH/USDC: USDC units per WETH unit * 1e36 = 3000 * 1e6 / 1e18 * 1e36.
      expect(await oracle.price()).to.equal(3_000n * 10n ** 24n);
      await setPrice(hre, sandbox, "WETH", 2_000);
      expect(await oracle.price()).to.equal(2_000n * 10n ** 24n);
    });
  });

  describe("flash loans", function () {
    const amount = 1_000_000n * 10n ** 6n;

    async function roundTripper(sandbox: Sandbox) {
      const contract = await new FlashLoanRoundTripper__factory(sandbox.deployer).deploy();
      await contract.waitForDeployment();
      return contract;
    }

    it("round-trips a Balancer V2 flash loan, free, out of the vault's balance", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const tripper = await roundTripper(sandbox);
      const vault = sandbox.book.flash.balancerVault!;
      const vaultBefore = await sandbox.tokens.USDC.balanceOf(vault);
      await expect(tripper.roundTripBalancer(vault, sandbox.book.tokens.USDC.address, amount))
        .to.emit(tripper, "FlashLoanRoundTripped")
        .withArgs(1n, sandbox.book.tokens.USDC.address, amount, 0n, amount);
      expect(await sandbox.tokens.USDC.balanceOf(vault)).to.equal(vaultBefore);
    });

    it("round-trips a Morpho Blue flash loan, free", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const tripper = await roundTripper(sandbox);
      const morpho = sandbox.book.flash.morphoBlue!;
      const morphoBefore = await sandbox.tokens.USDC.balanceOf(morpho);
      await expect(tripper.roundTripMorpho(morpho, sandbox.book.tokens.USDC.address, amount))
        .to.emit(tripper, "FlashLoanRoundTripped")
        .withArgs(2n, sandbox.book.tokens.USDC.address, amount, 0n, amount);
      expect(await sandbox.tokens.USDC.balanceOf(morpho)).to.equal(morphoBefore);
    });

    it("round-trips an Aave V3 flash loan and charges the 5 bps premium", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const tripper = await roundTripper(sandbox);
      const premium = (amount * 5n) / 10_000n;
      const tripperAddress = (await tripper.getAddress()) as Address;
      await fundAccount(hre, sandbox, "USDC", tripperAddress, premium);
      await expect(tripper.roundTripAave(sandbox.book.flash.aaveV3Pool!, sandbox.book.tokens.USDC.address, amount))
        .to.emit(tripper, "FlashLoanRoundTripped")
        .withArgs(3n, sandbox.book.tokens.USDC.address, amount, premium, amount + premium);
      expect(await sandbox.tokens.USDC.balanceOf(tripperAddress)).to.equal(0n);
    });

    it("refuses a flash-loan callback from anyone but the lender in flight", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const tripper = await roundTripper(sandbox);
      await expect(tripper.onMorphoFlashLoan(1n, hre.ethers.AbiCoder.defaultAbiCoder().encode(["address"], [BASE_WETH_ADDRESS])))
        .to.be.revertedWithCustomError(tripper, "UnexpectedLender")
        .withArgs(sandbox.deployer.address, hre.ethers.ZeroAddress);
    });
  });

  describe("address book file", function () {
    it("round-trips through JSON (bigint LLTVs included) and names a bad field", async function () {
      const sandbox = await loadFixture(sandboxFixture);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-book-"));
      const file = path.join(dir, "sandbox-localhost.json");
      writeSandboxAddressBook(file, sandbox.book);
      expect(readSandboxAddressBook(file)).to.deep.equal(sandbox.book);

      const broken = JSON.parse(fs.readFileSync(file, "utf8"));
      broken.aaveV3.pool = "0x1234";
      fs.writeFileSync(file, JSON.stringify(broken));
      expect(() => readSandboxAddressBook(file)).to.throw(/aaveV3\.pool: expected a 0x-prefixed 20-byte hex address/);
      expect(() => readSandboxAddressBook(path.join(dir, "missing.json"))).to.throw(/npx hardhat sandbox --network localhost/);
    });
  });

  describe("the sandbox task", function () {
    /** Runs the task in-process and returns what it printed. `hardhat test` has compiled already: skip its compile. */
    async function printed(args: { aaveVersion?: string }): Promise<string> {
      const lines: string[] = [];
      const log = console.log;
      const compiled = Object.create(hre, {
        run: { value: async (name: string, taskArgs?: unknown) => (name === "compile" ? undefined : hre.run(name, taskArgs as never)) },
      }) as typeof hre;
      console.log = (...parts: unknown[]) => void lines.push(parts.join(" "));
      try {
        await runSandboxTask({ aaveBorrowers: 0, morphoBorrowers: 0, seed: 1, ...args }, compiled);
      } finally {
        console.log = log;
      }
      return lines.join("\n");
    }

    it("prints each protocol's version and Aave's pool revision (v3.6 by default, v3.0.2 by name)", async function () {
      expect(await printed({})).to.match(
        /Protocols and markets:\n {2}Aave V3 v3\.6 \(L2Pool, @aave-dao\/aave-v3-origin 3\.6\.0\): POOL_REVISION 10 at 0x[0-9a-fA-F]{40}\n {2}Morpho Blue 1\.0/,
      );
      expect(await printed({ aaveVersion: "v3.0.2" })).to.match(
        /\n {2}Aave V3 v3\.0\.2 \(@aave\/core-v3 1\.19\.3\): POOL_REVISION 1 at 0x/,
      );
    });

    it("names the accepted versions when --aave-version is unknown, before building anything", async function () {
      await expect(printed({ aaveVersion: "3.6" })).to.be.rejectedWith(
        /--aave-version: unknown Aave version "3\.6": expected one of "v3\.6", "v3\.0\.2"/,
      );
    });
  });
});
