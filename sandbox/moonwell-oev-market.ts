/**
 * A Moonwell Core market behind OEV wrappers, stood up next to the sandbox for the scenarios that name Moonwell
 * borrowers (the quick start's default scenario does). Moonwell ships no bytecode on npm, so every piece is a TEST
 * DOUBLE from contracts/test/, written from Moonwell's documented behaviour:
 * - MoonwellChainlinkOracleDouble reads each asset's feed by symbol, as Moonwell's ChainlinkOracle does;
 * - MoonwellComptrollerDouble + MoonwellMTokenDouble: Compound v2's rules (close factor 50%, incentive 8%, collateral
 *   factor 80%), mUSDC and mWETH;
 * - MoonwellOevWrapperDouble in front of each feed the oracle reads (WETH and USDC), as on Base, where every Core
 *   feed is wrapped: a new round stays hidden for `maxRoundDelay` seconds unless a liquidator pays to unlock it.
 * The wrappers delay the sandbox's own Chainlink feeds, so `setPrice` (and every scenario step) writes a round the
 * wrapper hides: the comptroller, the public and the race's rival see it only `maxRoundDelay` seconds later.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Wallet, keccak256, parseEther, parseUnits, solidityPacked, MaxUint256 } from "ethers";
import {
  MoonwellChainlinkOracleDouble__factory,
  MoonwellComptrollerDouble__factory,
  MoonwellMTokenDouble__factory,
  MoonwellOevWrapperDouble__factory,
  type MoonwellChainlinkOracleDouble,
  type MoonwellComptrollerDouble,
  type MoonwellMTokenDouble,
  type MoonwellOevWrapperDouble,
} from "../typechain-types";
import type { Address } from "../keeper/config/address-book";
import type { NumberRange, OpenedBorrower } from "./borrowers";
import { seededRandom } from "./random";
import type { Sandbox } from "./sandbox-types";
import { ensureDeployerHolds, ensureEth } from "./token-supply";

/** The wrapper's parameters as Base's Core wrappers read today (issue 15): the liquidator keeps 40% of the bonus, 10 s. */
export const SANDBOX_OEV_WRAPPER = { liquidatorFeeBps: 4_000n, maxRoundDelaySeconds: 10n, maxDecrements: 5n } as const;
const MANTISSA = 10n ** 18n;
const CLOSE_FACTOR = MANTISSA / 2n;
const LIQUIDATION_INCENTIVE = (108n * MANTISSA) / 100n;
const COLLATERAL_FACTOR = (80n * MANTISSA) / 100n;
/** Compound's initial exchange rate, 0.02 underlying per mToken, scaled by 1e(18 + underlyingDecimals - 8). */
const exchangeRate = (underlyingDecimals: number) => 2n * 10n ** BigInt(16 + underlyingDecimals - 8);
/**
 * Gas for a call that accrues interest first (mint, borrow). An estimate is made against the head block, but on the
 * clock-driven chain the call can land in a block a second later, where the accrual has more to do, and run out of
 * the estimated gas: a fixed limit well above what the double's accrual and call cost.
 */
const ACCRUING_CALL_GAS = 1_000_000n;

/** Lenders' USDC cash in mUSDC: far more than any scenario borrows. */
const USDC_CASH = 50_000_000n * 10n ** 6n;
/** The symbols the sandbox's Moonwell lists: WETH collateral, USDC debt (the pair Moonwell's Base book is deepest in). */
const MOONWELL_SYMBOLS = ["USDC", "WETH"] as const;
type MoonwellSymbol = (typeof MOONWELL_SYMBOLS)[number];

export interface SandboxMoonwell {
  readonly oracle: MoonwellChainlinkOracleDouble;
  readonly comptroller: MoonwellComptrollerDouble;
  readonly mTokens: Readonly<Record<MoonwellSymbol, MoonwellMTokenDouble>>;
  /** The OEV wrapper the oracle reads for each symbol. */
  readonly wrappers: Readonly<Record<MoonwellSymbol, MoonwellOevWrapperDouble>>;
  /** Receives the protocol's share of every OEV liquidation. */
  readonly feeRecipient: Address;
  /** What a liquidation plan may call on Moonwell: the mTokens and the wrappers (the executor's allowlist). */
  readonly targets: readonly Address[];
}

/** The sandbox with a Moonwell market: `sandbox.moonwell` and `book.moonwell` (the keeper's Moonwell plug-in reads it). */
export type SandboxWithMoonwell = Sandbox & { readonly moonwell: SandboxMoonwell };

/** Deploys the Moonwell doubles behind OEV wrappers over the sandbox's feeds; returns the sandbox with them. */
export async function addMoonwellOevMarket(hre: HardhatRuntimeEnvironment, sandbox: Sandbox): Promise<SandboxWithMoonwell> {
  if (sandbox.moonwell !== undefined) return sandbox as SandboxWithMoonwell;
  const { deployer, tokens, priceFeeds } = sandbox;
  const deployBlock = await hre.ethers.provider.getBlockNumber();
  // The protocol's share goes to an address nobody holds a key of: it must not look like anyone's profit.
  const feeRecipient = `0x${keccak256(solidityPacked(["string"], ["chimera-sandbox-moonwell-fee-recipient"])).slice(26)}` as Address;
  const oracle = await new MoonwellChainlinkOracleDouble__factory(deployer).deploy();
  const comptroller = await new MoonwellComptrollerDouble__factory(deployer).deploy(oracle, CLOSE_FACTOR, LIQUIDATION_INCENTIVE);
  const mTokens = {} as Record<MoonwellSymbol, MoonwellMTokenDouble>;
  const wrappers = {} as Record<MoonwellSymbol, MoonwellOevWrapperDouble>;
  for (const symbol of MOONWELL_SYMBOLS) {
    const wrapper = await new MoonwellOevWrapperDouble__factory(deployer).deploy(
      priceFeeds[symbol]!,
      oracle,
      feeRecipient,
      SANDBOX_OEV_WRAPPER.liquidatorFeeBps,
      SANDBOX_OEV_WRAPPER.maxRoundDelaySeconds,
      SANDBOX_OEV_WRAPPER.maxDecrements,
    );
    await (await oracle.setFeed(symbol, wrapper)).wait();
    const underlying = tokens[symbol]!;
    const decimals = Number(await underlying.decimals());
    const mToken = await new MoonwellMTokenDouble__factory(deployer).deploy(
      `Moonwell ${symbol}`,
      `m${symbol}`,
      underlying,
      comptroller,
      exchangeRate(decimals),
      0n, // no interest: balances stay exact across the scenario's blocks
    );
    await (await comptroller._supportMarket(mToken)).wait();
    await (await comptroller._setCollateralFactor(mToken, COLLATERAL_FACTOR)).wait();
    mTokens[symbol] = mToken;
    wrappers[symbol] = wrapper;
  }
  await ensureDeployerHolds(hre, sandbox, "USDC", USDC_CASH);
  await (await tokens.USDC.connect(deployer).approve(mTokens.USDC, USDC_CASH)).wait();
  await (await mTokens.USDC.connect(deployer).mint(USDC_CASH, { gasLimit: ACCRUING_CALL_GAS })).wait();

  const addressOf = async (contract: { getAddress(): Promise<string> }) => (await contract.getAddress()).toLowerCase() as Address;
  const targets = await Promise.all([...Object.values(mTokens), ...Object.values(wrappers)].map(addressOf));
  return {
    ...sandbox,
    book: {
      ...sandbox.book,
      moonwell: {
        label: "Moonwell Sandbox (doubles, OEV-wrapped feeds)",
        comptroller: await addressOf(comptroller),
        oracle: await addressOf(oracle),
        markets: { USDC: await addressOf(mTokens.USDC), WETH: await addressOf(mTokens.WETH) },
        deployBlock,
      },
    },
    moonwell: { oracle, comptroller, mTokens, wrappers, feeRecipient, targets },
  };
}

export interface MoonwellBorrowerSpec {
  readonly count: number;
  readonly seed: number;
  /** Health factor at the shown price (collateral × price × collateral factor / debt); >= 1. */
  readonly healthFactor: NumberRange;
  /** USDC debt, in USD. */
  readonly debtUsd: NumberRange;
}

/**
 * Opens WETH-collateral, USDC-debt positions on the sandbox's Moonwell. Each borrower is its own key derived from
 * the seed (Compound lets only the account itself enter markets and borrow), funded with gas by the sandbox.
 */
export async function openMoonwellBorrowers(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  spec: MoonwellBorrowerSpec,
): Promise<OpenedBorrower[]> {
  const moonwell = sandbox.moonwell;
  if (moonwell === undefined) throw new Error("the sandbox has no Moonwell market: call addMoonwellOevMarket(hre, sandbox) first");
  if (!(spec.healthFactor.min >= 1) || spec.healthFactor.max < spec.healthFactor.min)
    throw new Error(`Moonwell healthFactor must be a range with min >= 1, got ${JSON.stringify(spec.healthFactor)}`);
  if (!(spec.debtUsd.min > 0) || spec.debtUsd.max < spec.debtUsd.min)
    throw new Error(`Moonwell debtUsd must be a positive range, got ${JSON.stringify(spec.debtUsd)}`);
  const random = seededRandom(spec.seed);
  const draw = (range: NumberRange) => range.min + (range.max - range.min) * random.next();
  const [, answer] = await moonwell.wrappers.WETH.latestRoundData();
  const wethUsd = Number(answer) / 1e8;
  const wethMarket = await moonwell.mTokens.WETH.getAddress();
  const opened: OpenedBorrower[] = [];
  for (let index = 0; index < spec.count; index++) {
    const wallet = new Wallet(keccak256(solidityPacked(["string", "uint256", "uint256"], ["chimera-sandbox-moonwell", spec.seed, index])));
    const borrower = wallet.connect(hre.ethers.provider);
    const healthFactor = draw(spec.healthFactor);
    const debtUsd = Math.round(draw(spec.debtUsd) * 100) / 100;
    const debtAmount = parseUnits(debtUsd.toFixed(6), 6);
    const collateralAmount = parseEther(((debtUsd * healthFactor) / 0.8 / wethUsd).toFixed(18));
    await ensureEth(hre, wallet.address as Address, collateralAmount + parseEther("1"));
    await (await sandbox.tokens.WETH.connect(borrower).deposit({ value: collateralAmount })).wait();
    await (await sandbox.tokens.WETH.connect(borrower).approve(wethMarket, MaxUint256)).wait();
    await (await moonwell.mTokens.WETH.connect(borrower).mint(collateralAmount, { gasLimit: ACCRUING_CALL_GAS })).wait();
    await (await moonwell.comptroller.connect(borrower).enterMarkets([wethMarket])).wait();
    await (await moonwell.mTokens.USDC.connect(borrower).borrow(debtAmount, { gasLimit: ACCRUING_CALL_GAS })).wait();
    // Compound answers a refused borrow with an error code, not a revert: check it took.
    const borrowed = await moonwell.mTokens.USDC.borrowBalanceStored(wallet.address);
    if (borrowed !== debtAmount)
      throw new Error(`Moonwell borrower ${wallet.address}: borrowed ${borrowed} USDC units, expected ${debtAmount}`);
    opened.push({
      protocol: "moonwell",
      address: wallet.address as Address,
      collateral: "WETH",
      debt: "USDC",
      collateralAmount,
      debtAmount,
      targetHealthFactor: healthFactor,
    });
  }
  return opened;
}
