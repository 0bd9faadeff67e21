/**
 * Attack set-ups for the executor's adversarial tests.
 *
 * For the callback and reentrancy tests: a ReentrantHookToken (contracts/test/) listed where its transfer hook fires at
 * the exact moment the executor awaits a callback -
 * - in the Balancer Vault as flash-loan liquidity (fires while the Vault's callback is awaited),
 * - as the collateral of a new Morpho Blue market (fires while `onMorphoLiquidate` is awaited: Morpho sends the
 *   collateral before calling back),
 * - as a new Aave V3 reserve (fires inside Aave's `flashLoanSimple`, before `executeOperation`).
 * Listing a reserve or a market uses the sandbox deployer's genuine admin rights; nothing is mocked but the token.
 *
 * For the stolen-operator-key tests: what an attacker can build with its own funds and no role but the operator key -
 * a Morpho Blue market it controls (its token, its oracle), and a trace of the calls a transaction makes, to show a
 * plan was refused before its first external call.
 */
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  MintableERC20__factory,
  OracleMock__factory,
  ReentrantHookToken__factory,
  type MintableERC20,
  type OracleMock,
  type ReentrantHookToken,
} from "../../../../typechain-types";
import { listAaveReserve, morphoMarketId, type Sandbox } from "../../../../sandbox";
import type { Address, MorphoMarketParams } from "../../../../keeper/config/address-book";

const WAD = 10n ** 18n;

export async function deployHookToken(sandbox: Sandbox): Promise<ReentrantHookToken> {
  const token = await new ReentrantHookToken__factory(sandbox.deployer).deploy();
  await token.waitForDeployment();
  return token;
}

/** Parks `amount` of the hook token in the Balancer Vault, which lends any balance it holds. */
export async function fundVaultWithHookToken(sandbox: Sandbox, token: ReentrantHookToken, amount: bigint): Promise<void> {
  await (await token.mint(await sandbox.balancer.vault.getAddress(), amount)).wait();
}

export interface HookCollateralMarket {
  readonly market: MorphoMarketParams;
  readonly oracle: OracleMock;
  readonly borrower: string;
  readonly collateral: bigint;
}

/**
 * A Morpho Blue market lending USDC against the hook token (Morpho market creation is permissionless), with one
 * borrower pushed under water by lowering the market's OracleMock (Morpho's own test oracle).
 */
export async function hookCollateralMarket(sandbox: Sandbox, token: ReentrantHookToken): Promise<HookCollateralMarket> {
  const { deployer, morpho } = sandbox;
  const [, , , , , , borrower] = await hre.ethers.getSigners();
  const oracle = await new OracleMock__factory(deployer).deploy();
  // Morpho prices collateral in loan units scaled by 1e36: 1 HOOK (18 dec) = 1 USDC (6 dec).
  const onePerOne = (10n ** 36n * 10n ** 6n) / 10n ** 18n;
  await (await oracle.setPrice(onePerOne)).wait();
  const lltv = (86n * WAD) / 100n;
  const market: MorphoMarketParams = {
    label: "HOOK/USDC 86%",
    loanToken: sandbox.book.tokens.USDC.address,
    collateralToken: (await token.getAddress()) as `0x${string}`,
    oracle: (await oracle.getAddress()) as `0x${string}`,
    irm: (await morpho.irm.getAddress()) as `0x${string}`,
    lltv,
  };
  await (await morpho.morpho.connect(deployer).createMarket(market)).wait();
  const supply = 1_000_000n * 10n ** 6n;
  await (await sandbox.tokens.USDC.connect(deployer)["mint(address,uint256)"](deployer.address, supply)).wait();
  await (await sandbox.tokens.USDC.connect(deployer).approve(morpho.morpho, supply)).wait();
  await (await morpho.morpho.connect(deployer).supply(market, supply, 0n, deployer.address, "0x")).wait();

  const collateral = 1_000n * WAD;
  await (await token.mint(borrower.address, collateral)).wait();
  await (await token.connect(borrower).approve(morpho.morpho, collateral)).wait();
  await (await morpho.morpho.connect(borrower).supplyCollateral(market, collateral, borrower.address, "0x")).wait();
  await (await morpho.morpho.connect(borrower).borrow(market, 800n * 10n ** 6n, 0n, borrower.address, borrower.address)).wait();
  // 10% down: max borrow 774 USDC < 800 borrowed.
  await (await oracle.setPrice((onePerOne * 90n) / 100n)).wait();
  return { market, oracle, borrower: borrower.address, collateral };
}

/**
 * Lists the hook token as an Aave V3 reserve with flash loans enabled (the sandbox deployer is pool admin) and
 * supplies `liquidity` of it, so `flashLoanSimple` can lend it.
 */
export async function listHookTokenOnAave(sandbox: Sandbox, token: ReentrantHookToken, liquidity: bigint): Promise<void> {
  const { deployer, aave } = sandbox;
  const poolAddress = await aave.pool.getAddress();
  const tokenAddress = (await token.getAddress()) as Address;
  // Either Aave version: the sandbox lists it with token implementations of the market's own version.
  await listAaveReserve(sandbox, { asset: tokenAddress, symbol: "HOOK", flashLoaning: true });
  await (await token.mint(deployer.address, liquidity)).wait();
  await (await token.connect(deployer).approve(poolAddress, liquidity)).wait();
  await (await aave.pool.connect(deployer).supply(tokenAddress, liquidity, deployer.address, 0)).wait();
}

export interface OperatorControlledMarket {
  readonly market: MorphoMarketParams;
  readonly marketId: string;
  /** The attacker's token, the market's collateral: worth nothing outside the attacker's own oracle. */
  readonly token: MintableERC20;
  readonly oracle: OracleMock;
  /** The attacker's own position: liquidatable, its debt worth far more than its collateral. */
  readonly borrower: string;
  readonly borrowShares: bigint;
}

/**
 * The attack of issue 13: anyone can create a Morpho Blue market. The attacker lists a market lending USDC against a
 * token it minted, priced by an oracle it sets; it supplies the USDC itself, borrows against its own worthless
 * collateral, then lowers its oracle so its own position is liquidatable. A plan liquidating that position repays the
 * attacker's debt with the executor's USDC and hands it the attacker's worthless token; the attacker withdraws its
 * supply with the difference.
 */
export async function operatorControlledMorphoMarket(sandbox: Sandbox, attacker: HardhatEthersSigner): Promise<OperatorControlledMarket> {
  const { morpho } = sandbox;
  const token = await new MintableERC20__factory(attacker).deploy("Attacker Token", "ATK", 18);
  const oracle = await new OracleMock__factory(attacker).deploy();
  await Promise.all([token.waitForDeployment(), oracle.waitForDeployment()]);
  // Morpho prices collateral in loan units scaled by 1e36: 1 ATK (18 dec) = 1 USDC (6 dec).
  const onePerOne = (10n ** 36n * 10n ** 6n) / 10n ** 18n;
  await (await oracle.setPrice(onePerOne)).wait();
  const market: MorphoMarketParams = {
    label: "ATK/USDC 86% (attacker's)",
    loanToken: sandbox.book.tokens.USDC.address,
    collateralToken: (await token.getAddress()) as `0x${string}`,
    oracle: (await oracle.getAddress()) as `0x${string}`,
    irm: (await morpho.irm.getAddress()) as `0x${string}`,
    lltv: (86n * WAD) / 100n,
  };
  await (await morpho.morpho.connect(attacker).createMarket(market)).wait();

  const supply = 10_000n * 10n ** 6n;
  await (await sandbox.tokens.USDC.connect(sandbox.deployer)["mint(address,uint256)"](attacker.address, supply)).wait();
  await (await sandbox.tokens.USDC.connect(attacker).approve(morpho.morpho, supply)).wait();
  await (await morpho.morpho.connect(attacker).supply(market, supply, 0n, attacker.address, "0x")).wait();
  const collateral = 10_000n * WAD;
  await (await token.connect(attacker)["mint(address,uint256)"](attacker.address, collateral)).wait();
  await (await token.connect(attacker).approve(morpho.morpho, collateral)).wait();
  await (await morpho.morpho.connect(attacker).supplyCollateral(market, collateral, attacker.address, "0x")).wait();
  await (await morpho.morpho.connect(attacker).borrow(market, 8_000n * 10n ** 6n, 0n, attacker.address, attacker.address)).wait();
  // 10% down on its own oracle: max borrow 7,740 USDC < 8,000 borrowed, and repaying all 8,000 seizes about 9,280 of the
  // 10,000 ATK (Morpho's incentive at 86% LLTV is ~4.4%). ATK trades nowhere: the executor would pay real USDC for it.
  await (await oracle.setPrice((onePerOne * 9n) / 10n)).wait();
  const marketId = morphoMarketId(market);
  const { borrowShares } = await morpho.morpho.position(marketId, attacker.address);
  return { market, marketId, token, oracle, borrower: attacker.address, borrowShares };
}

export interface TracedCall {
  /** Whether the call reverted. */
  readonly failed: boolean;
  /** The revert data (or return data). */
  readonly returnValue: string;
  /** Every CALL, STATICCALL and DELEGATECALL the called contract itself made, in order, with its target. */
  readonly externalCalls: readonly { op: string; target: string }[];
}

/**
 * Traces `data` sent by `from` to `to` at the latest block (debug_traceCall) and lists the external calls `to` made
 * before it returned or reverted: how a test tells a plan refused "before any call" from one that reverted later.
 */
export async function traceCall(from: string, to: string, data: string): Promise<TracedCall> {
  const trace = (await hre.network.provider.send("debug_traceCall", [{ from, to, data, gas: "0xf42400" }, "latest"])) as {
    failed: boolean;
    returnValue: string;
    structLogs: { op: string; depth: number; stack?: string[] }[];
  };
  const externalCalls = trace.structLogs
    .filter((log) => log.depth === 1 && ["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"].includes(log.op))
    .map((log) => ({ op: log.op, target: `0x${(log.stack ?? [])[(log.stack ?? []).length - 2]?.slice(-40) ?? ""}` }));
  const returnValue = trace.returnValue.startsWith("0x") ? trace.returnValue : `0x${trace.returnValue}`;
  return { failed: trace.failed, returnValue, externalCalls };
}
