/**
 * Resolves a flash source to a concrete lender in the scenario's address book, checks it can lend the amount, and
 * computes the fee the lender will charge from the lender's own on-chain parameters (so the scenario can assert the
 * executor paid exactly that, on the sandbox and on Base alike).
 */
import hre from "hardhat";
import { Contract, type ContractTransactionReceipt } from "ethers";
import { Pool__factory, UniswapV3Factory__factory, UniswapV3Pool__factory, Vault__factory } from "../../../typechain-types";
import type { Address } from "../../../keeper/config/address-book";
import { FlashSource, flashLoan, type FlashLoanStruct, type FlashSourceName } from "../../unit/contracts/helpers/plans";
import { balanceOf, ceilDiv, requireBookEntry, tokenInfo, type ScenarioEnvironment } from "./environment";
import { BALANCER_FEES_COLLECTOR_ABI } from "./protocol-abis";

export type { FlashSourceName };
export const FLASH_SOURCES: readonly FlashSourceName[] = ["BalancerV2", "MorphoBlue", "AaveV3", "UniswapV3"];

const UNISWAP_FEE_TIERS = [100, 500, 3_000, 10_000] as const;
const WAD = 10n ** 18n;

export interface ResolvedFlashLoan {
  readonly flash: FlashLoanStruct;
  readonly lender: Address;
  /** What the lender will charge for `amount`, computed from its current parameters. */
  readonly expectedFee: bigint;
}

/**
 * The deepest Uniswap V3 pool holding `token` (paired with any book token, any fee tier) other than `avoid`: a pool is
 * locked during its own flash, so the pool a route swaps through can never lend for the same plan.
 */
async function uniswapFlashPool(env: ScenarioEnvironment, token: Address, amount: bigint, avoid: readonly Address[]): Promise<Address> {
  const uniswap = requireBookEntry(env.book.uniswapV3, "uniswapV3", env.book);
  const factory = UniswapV3Factory__factory.connect(uniswap.factory, hre.ethers.provider);
  const avoided = new Set(avoid.map((a) => a.toLowerCase()));
  let best: { pool: Address; balance: bigint } | undefined;
  for (const other of Object.values(env.book.tokens)) {
    if (other.address.toLowerCase() === token.toLowerCase()) continue;
    for (const fee of UNISWAP_FEE_TIERS) {
      const pool = (await factory.getPool(token, other.address, fee)) as Address;
      if (pool === hre.ethers.ZeroAddress || avoided.has(pool.toLowerCase())) continue;
      const balance = await balanceOf(token, pool);
      if (best === undefined || balance > best.balance) best = { pool, balance };
    }
  }
  if (best === undefined || best.balance < amount) {
    const symbol = tokenInfo(env.book, token).symbol;
    throw new Error(
      `no Uniswap V3 pool on "${env.label}" (outside the route's pools) holds ${amount} ${symbol} to flash-lend; ` +
        `the deepest holds ${best?.balance ?? 0n}`,
    );
  }
  return best.pool;
}

/** Balancer V2: amount.mulUp(feePercentage), the percentage read from the Vault's ProtocolFeesCollector. */
async function balancerFee(vault: Address, amount: bigint): Promise<bigint> {
  const collector = await Vault__factory.connect(vault, hre.ethers.provider).getProtocolFeesCollector();
  const percentage = (await new Contract(collector, BALANCER_FEES_COLLECTOR_ABI, hre.ethers.provider).getFunction(
    "getFlashLoanFeePercentage",
  )()) as bigint;
  const product = amount * percentage;
  return product === 0n ? 0n : (product - 1n) / WAD + 1n;
}

/**
 * The flash loan of `amount` of `token` from `source`, with its lender checked for liquidity and its fee. A Uniswap
 * V3 pool chosen as lender is allowlisted by the owner first when it is not already (ignition/parameters/base.json
 * leaves flash pools to the owner).
 */
export async function resolveFlashLoan(
  env: ScenarioEnvironment,
  source: FlashSourceName,
  token: Address,
  amount: bigint,
  avoidPools: readonly Address[] = [],
): Promise<ResolvedFlashLoan> {
  const { book } = env;
  let lender: Address;
  let expectedFee: bigint;
  switch (source) {
    case "BalancerV2":
      lender = requireBookEntry(book.flash.balancerVault, "flash.balancerVault", book);
      expectedFee = await balancerFee(lender, amount);
      break;
    case "MorphoBlue":
      // Morpho Blue's flashLoan is free (Morpho.sol: no fee, repayment pulled with transferFrom).
      lender = requireBookEntry(book.flash.morphoBlue, "flash.morphoBlue", book);
      expectedFee = 0n;
      break;
    case "AaveV3": {
      lender = requireBookEntry(book.flash.aaveV3Pool, "flash.aaveV3Pool", book);
      const premiumBps = await Pool__factory.connect(lender, hre.ethers.provider).FLASHLOAN_PREMIUM_TOTAL();
      // flashLoanSimple: premium = amount.percentMul(FLASHLOAN_PREMIUM_TOTAL), rounded half up.
      expectedFee = (amount * premiumBps + 5_000n) / 10_000n;
      break;
    }
    case "UniswapV3": {
      lender = await uniswapFlashPool(env, token, amount, avoidPools);
      const fee = await UniswapV3Pool__factory.connect(lender, hre.ethers.provider).fee();
      // UniswapV3Pool.flash: fee = mulDivRoundingUp(amount, fee, 1e6).
      expectedFee = ceilDiv(amount * fee, 1_000_000n);
      if (!(await env.executor.isAllowedTarget(lender))) {
        await (await env.executor.connect(env.owner).setAllowedTarget(lender, true)).wait();
      }
      break;
    }
  }
  // Balancer and Morpho lend their own balance, Aave its aToken's cash: all of them must hold the amount.
  const holder =
    source === "AaveV3"
      ? ((await Pool__factory.connect(lender, hre.ethers.provider).getReserveData(token)).aTokenAddress as Address)
      : lender;
  const available = await balanceOf(token, holder);
  if (available < amount) {
    const symbol = tokenInfo(book, token).symbol;
    throw new Error(`${source} on "${env.label}" can lend only ${available} raw ${symbol}, the plan needs ${amount}`);
  }
  return { flash: flashLoan(FlashSource[source], lender, token, amount), lender, expectedFee };
}

/**
 * The fee the lender itself recorded in the transaction's logs: Balancer's FlashLoan(feeAmount), Aave's
 * FlashLoan(premium), the Uniswap pool's Flash(paid0/paid1); Morpho's flash loans are free and log no fee. Comparing
 * the executor's reported fee with this is exact on any version of the lender.
 */
export async function lenderReportedFee(
  receipt: ContractTransactionReceipt,
  source: number,
  lender: Address,
  token: Address,
): Promise<bigint> {
  if (source === FlashSource.None || source === FlashSource.MorphoBlue) return 0n;
  const iface =
    source === FlashSource.BalancerV2
      ? Vault__factory.createInterface()
      : source === FlashSource.AaveV3
        ? Pool__factory.createInterface()
        : UniswapV3Pool__factory.createInterface();
  const eventName = source === FlashSource.UniswapV3 ? "Flash" : "FlashLoan";
  const events = receipt.logs
    .filter((log) => log.address.toLowerCase() === lender.toLowerCase())
    .map((log) => iface.parseLog(log))
    .filter((parsed) => parsed !== null && parsed.name === eventName);
  if (events.length !== 1) throw new Error(`expected one ${eventName} event from lender ${lender}, found ${events.length}`);
  const args = events[0]!.args;
  switch (source) {
    case FlashSource.BalancerV2:
      return args.getValue("feeAmount") as bigint;
    case FlashSource.AaveV3:
      return args.getValue("premium") as bigint;
    default: {
      const token0 = await UniswapV3Pool__factory.connect(lender, hre.ethers.provider).token0();
      return (token0.toLowerCase() === token.toLowerCase() ? args.getValue("paid0") : args.getValue("paid1")) as bigint;
    }
  }
}
