/**
 * Genuine-bytecode harness for Aave sizing: opens a borrower on the sandbox's Aave market (v3.6 or v3.0.2), moves a
 * price until it is liquidatable, asks the keeper's Aave plug-in what it would do, then has a liquidator call
 * `liquidationCall` one second later (the plug-in evaluates with a one-second lookahead, so both see the same
 * timestamp) and reads back what the pool actually did: repaid debt and seized collateral (LiquidationCall), the
 * protocol fee (the aToken Transfer from the borrower to the treasury), the deficit (DeficitCreated, v3.3+), or the
 * revert and its decoded reason.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Interface, Wallet, id, type ContractTransactionReceipt, type Log } from "ethers";
import { AToken__factory, L2PoolInstance__factory, LiquidationLogic__factory, Pool__factory } from "../../../../../typechain-types";
import { fundAccount, type Sandbox, type SandboxAaveVersion } from "../../../../../sandbox";
import { sandboxFixtureFor } from "../../../../shared/sandbox-fixture";
import type { Address } from "../../../../../keeper/config/address-book";
import { AaveV3Market } from "../../../../../keeper/markets/aave-v3/aave-v3-market";
import { createMarketDependencies } from "../../../../../keeper/markets/factory";
import type { LiquidationCandidate } from "../../../../../keeper/core/types";
import type { AaveV3SizingInput } from "../../../../../keeper/markets/aave-v3/liquidation-sizing";
import type { SizedLiquidation, SizingRefusal } from "../../../../../keeper/markets/sizing-result";

export const MAX_UINT256 = (1n << 256n) - 1n;

/** Every revert reason the pool (either version) may give: v3.6 custom errors are in the pool's and LiquidationLogic's ABIs. */
const REVERT_INTERFACES = [
  L2PoolInstance__factory.createInterface(),
  LiquidationLogic__factory.createInterface(),
  new Interface(["error Error(string)"]),
];

/** v3.0.2's numeric reason strings that the tests meet (Errors.sol of @aave/core-v3 1.19.3). */
const V302_ERRORS: Readonly<Record<string, string>> = {
  "27": "ReserveInactive",
  "29": "ReservePaused",
  "45": "HealthFactorNotBelowThreshold",
  "46": "CollateralCannotBeLiquidated",
};

export interface GenuineWorld {
  readonly sandbox: Sandbox;
  /** Holds plenty of every borrowable token, approved to the pool. */
  readonly liquidator: HardhatEthersSigner;
}

/**
 * The world every genuine sizing test starts from: the sandbox, a month of interest accrued at ~30% utilisation on
 * every borrowable reserve (so liquidity and borrow indexes are not 1.0 and every rounding path of the pool is
 * live), and a liquidator (account #19) holding plenty of each borrowable token, approved to the pool.
 */
export async function prepareWorld(sandbox: Sandbox): Promise<GenuineWorld> {
  const { deployer } = sandbox;
  const loans: Record<string, bigint> = { USDC: 10n ** 6n * 15_000_000n, WETH: 10n ** 18n * 3_000n, cbBTC: 10n ** 8n * 60n };
  for (const [symbol, amount] of Object.entries(loans)) {
    await (
      await sandbox.aave.pool.connect(deployer).borrow(await sandbox.tokens[symbol].getAddress(), amount, 2, 0, deployer.address)
    ).wait();
  }
  await time.increase(30 * 24 * 3600);

  const signers = await hre.ethers.getSigners();
  const liquidator = signers[19];
  const pool = await sandbox.aave.pool.getAddress();
  const amounts: Record<string, bigint> = { USDC: 10n ** 6n * 10n ** 9n, WETH: 10n ** 18n * 10n ** 6n, cbBTC: 10n ** 8n * 10n ** 5n };
  await fundAccount(hre, sandbox, "ETH", liquidator.address as Address, 10n ** 25n);
  for (const [symbol, amount] of Object.entries(amounts)) {
    await fundAccount(hre, sandbox, symbol, liquidator.address as Address, amount);
    await (await sandbox.tokens[symbol].connect(liquidator).approve(pool, MAX_UINT256)).wait();
  }
  return { sandbox, liquidator };
}

async function genuineWorldV36(): Promise<GenuineWorld> {
  return prepareWorld(await loadFixture(sandboxFixtureFor("v3.6")));
}
async function genuineWorldV302(): Promise<GenuineWorld> {
  return prepareWorld(await loadFixture(sandboxFixtureFor("v3.0.2")));
}

/**
 * The genuine world as a `loadFixture` fixture, one stable function per version, shared by every genuine sizing file.
 * It starts from the shared sandbox fixture's snapshot, so the sandbox is built once per version for the whole run
 * (nested loadFixture is safe: restoring the sandbox's snapshot drops this one, which is then rebuilt from there).
 */
export const GENUINE_WORLD_FIXTURES: Readonly<Record<SandboxAaveVersion, () => Promise<GenuineWorld>>> = {
  "v3.6": genuineWorldV36,
  "v3.0.2": genuineWorldV302,
};

/** Feed answer (8 decimals) of `symbol` now. */
export async function feedAnswer(sandbox: Sandbox, symbol: string): Promise<bigint> {
  return (await sandbox.priceFeeds[symbol].latestRoundData()).answer;
}

export async function setFeedAnswer(sandbox: Sandbox, symbol: string, answer: bigint): Promise<void> {
  await (await sandbox.priceFeeds[symbol].connect(sandbox.deployer).updateAnswer(answer)).wait();
}

let borrowerCount = 0;

/** A fresh borrower account with ETH for gas (deterministic keys, so a failing run replays the same addresses). */
export async function newBorrower(): Promise<Wallet> {
  const wallet = new Wallet(id(`aave-genuine-borrower-${borrowerCount++}`), hre.ethers.provider);
  await hre.network.provider.send("hardhat_setBalance", [wallet.address, hre.ethers.toQuantity(10n ** 21n)]);
  return wallet;
}

/** Mints (or wraps) `amount` of `symbol` to `who` and supplies it to the pool. */
export async function supplyAs(sandbox: Sandbox, who: Wallet, symbol: string, amount: bigint): Promise<void> {
  const pool = await sandbox.aave.pool.getAddress();
  await fundAccount(hre, sandbox, symbol, who.address as Address, amount);
  await (await sandbox.tokens[symbol].connect(who).approve(pool, amount)).wait();
  await (await sandbox.aave.pool.connect(who).supply(await sandbox.tokens[symbol].getAddress(), amount, who.address, 0)).wait();
}

export async function borrowAs(sandbox: Sandbox, who: Wallet, symbol: string, amount: bigint): Promise<void> {
  await (await sandbox.aave.pool.connect(who).borrow(await sandbox.tokens[symbol].getAddress(), amount, 2, 0, who.address)).wait();
}

/** Whole-token amount worth `usd` at the current feed price (rounded down to the token's units). */
export async function amountForUsd(sandbox: Sandbox, symbol: string, usd: number): Promise<bigint> {
  const decimals = sandbox.book.tokens[symbol].decimals;
  const answer = await feedAnswer(sandbox, symbol);
  // usd * 1e8 / answer whole tokens, in units; integer maths on cents to stay exact.
  return (BigInt(Math.round(usd * 100)) * 10n ** BigInt(decimals) * 10n ** 6n) / answer;
}

/** What the keeper's plug-in sees for a borrower at the latest block, evaluated one second later. */
export interface KeeperView {
  readonly market: AaveV3Market;
  readonly block: { number: number; timestamp: number };
}

export async function keeperView(sandbox: Sandbox, borrower: Address): Promise<KeeperView> {
  const deps = createMarketDependencies(hre.ethers.provider, sandbox.book, { batchSize: 200 });
  const market = new AaveV3Market(sandbox.book.aaveV3!, deps, { lookaheadSeconds: 1, storageReads: false });
  await market.init();
  const latest = (await hre.ethers.provider.getBlock("latest"))!;
  await market.refreshPositions([borrower], latest.number);
  return { market, block: { number: latest.number, timestamp: latest.timestamp } };
}

/** The sizing input the keeper builds for `collateral`/`debt`, or its refusal. */
export function keeperInput(view: KeeperView, borrower: Address, collateral: Address, debt: Address): AaveV3SizingInput | SizingRefusal {
  const position = view.market.position(borrower.toLowerCase() as Address);
  if (position === undefined) throw new Error(`the keeper does not track ${borrower}`);
  return view.market.sizingInput(position, { collateralToken: collateral, debtToken: debt, sizeUsd: 0 });
}

/** The keeper's sizing input for the pair; a refusal to build one fails the test. */
export function sizingInputOf(view: KeeperView, borrower: Address, collateral: Address, debt: Address): AaveV3SizingInput {
  const input = keeperInput(view, borrower, collateral, debt);
  if ("ok" in input) throw new Error(`the keeper cannot size the pair: ${input.detail}`);
  return input;
}

/** A sandbox token's address, lower-case as the keeper keys its reserves. */
export async function tokenAddress(sandbox: Sandbox, symbol: string): Promise<Address> {
  return (await sandbox.tokens[symbol].getAddress()).toLowerCase() as Address;
}

/** The amount the executor passes to liquidationCall for this candidate (the plan encoder passes the call's). */
export function executorArgument(candidate: LiquidationCandidate): bigint {
  if (candidate.call?.shape !== "AaveV3") throw new Error("an Aave candidate carries its liquidationCall");
  return candidate.call.debtToCover;
}

/** What one liquidationCall did, read from its receipt. */
export type PoolOutcome =
  | {
      readonly ok: true;
      readonly debtRepaid: bigint;
      readonly collateralToLiquidator: bigint;
      readonly protocolFee: bigint;
      readonly deficit: bigint;
    }
  | { readonly ok: false; readonly reason: string };

function decodeRevert(error: unknown): string {
  const data = (error as { data?: string }).data ?? (error as { error?: { data?: string } }).error?.data;
  if (typeof data === "string" && data.length >= 10) {
    for (const iface of REVERT_INTERFACES) {
      try {
        const parsed = iface.parseError(data);
        if (parsed === null) continue;
        if (parsed.name === "Error") return V302_ERRORS[String(parsed.args[0])] ?? `Error(${String(parsed.args[0])})`;
        return parsed.name;
      } catch {
        // not this interface
      }
    }
  }
  const message = (error as Error).message ?? String(error);
  const reason = /reverted with reason string '([^']*)'/.exec(message)?.[1];
  if (reason !== undefined) return V302_ERRORS[reason] ?? `Error(${reason})`;
  const custom = /reverted with custom error '([A-Za-z]+)\(/.exec(message)?.[1];
  if (custom !== undefined) return custom;
  const returned = /return data: (0x[0-9a-fA-F]+)/.exec(message)?.[1];
  return returned !== undefined ? decodeRevert({ data: returned }) : message;
}

function eventsOf(
  receipt: ContractTransactionReceipt,
  iface: Interface,
  name: string,
  address?: string,
): ReturnType<Interface["parseLog"]>[] {
  return receipt.logs
    .filter((log: Log) => address === undefined || log.address.toLowerCase() === address.toLowerCase())
    .map((log: Log) => {
      try {
        return iface.parseLog({ topics: [...log.topics], data: log.data });
      } catch {
        return null;
      }
    })
    .filter((parsed) => parsed !== null && parsed.name === name);
}

/** Sends liquidationCall at `timestamp` and reports what the pool did (or why it refused). */
export async function liquidateAt(
  world: GenuineWorld,
  args: { collateral: Address; debt: Address; borrower: Address; debtToCover: bigint; timestamp: number },
): Promise<PoolOutcome> {
  const { sandbox, liquidator } = world;
  await time.setNextBlockTimestamp(args.timestamp);
  let receipt: ContractTransactionReceipt;
  try {
    const tx = await sandbox.aave.pool
      .connect(liquidator)
      .liquidationCall(args.collateral, args.debt, args.borrower, args.debtToCover, false, { gasLimit: 3_000_000 });
    receipt = (await tx.wait())!;
  } catch (error) {
    // A reverted transaction still mines its block at `timestamp`.
    return { ok: false, reason: decodeRevert(error) };
  }
  const poolIface = L2PoolInstance__factory.createInterface();
  const liquidation = eventsOf(receipt, Pool__factory.createInterface() as unknown as Interface, "LiquidationCall")[0];
  if (!liquidation) throw new Error("liquidationCall succeeded without a LiquidationCall event");
  const aToken = (await sandbox.aave.pool.getReserveData(args.collateral)).aTokenAddress;
  const treasury = sandbox.deployer.address.toLowerCase();
  const fee = eventsOf(receipt, AToken__factory.createInterface() as unknown as Interface, "Transfer", aToken).find(
    (event) => String(event!.args.from).toLowerCase() === args.borrower.toLowerCase() && String(event!.args.to).toLowerCase() === treasury,
  );
  const deficit = eventsOf(receipt, poolIface as unknown as Interface, "DeficitCreated").find(
    (event) => String(event!.args.debtAsset).toLowerCase() === args.debt.toLowerCase(),
  );
  return {
    ok: true,
    debtRepaid: liquidation.args.debtToCover as bigint,
    collateralToLiquidator: liquidation.args.liquidatedCollateralAmount as bigint,
    protocolFee: fee === undefined ? 0n : (fee!.args.value as bigint),
    deficit: deficit === undefined ? 0n : (deficit!.args.amountCreated as bigint),
  };
}

/** The pool did exactly what the keeper planned: the debt repaid, the collateral to the liquidator, the fee, the deficit. */
export function expectPoolDidPlan(pool: PoolOutcome, plan: SizedLiquidation, what?: string): void {
  expect(pool, what).to.deep.equal({
    ok: true,
    debtRepaid: plan.candidate.debtToCover,
    collateralToLiquidator: plan.candidate.expectedCollateral,
    protocolFee: plan.protocolFeeCollateral,
    deficit: plan.badDebt,
  });
}
