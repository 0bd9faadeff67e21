/**
 * What a liquidation earns, what it costs, and what to bid for it.
 *
 * On Base there is no public mempool and no bundle relay: transactions are ordered by priority fee
 * inside each 200 ms block (since Denim, ../shared/BASE.md), so the keeper bids a share of the expected profit
 * as priority fee, capped so a mispriced opportunity cannot spend the operator's balance.
 *
 * A liquidation through a Moonwell OEV wrapper (path "oev") is bid differently: its proceeds are only the
 * liquidator's share of the bonus after the wrapper's cut, and every OEV liquidator races for the same
 * unlock in the next block, so the bid is a share of that profit NET of gas. Bid plus gas then never
 * exceeds the share: the keeper cannot bid away more than the wrapper leaves it. The open path is
 * unchanged (a share of the gross profit).
 */
import { BPS, ratioToNumber, tokenAmountToUsd } from "../core/fixed-point";
import type { LiquidationPath } from "../oracles/liquidation-path";

const WEI_PER_ETH = 10n ** 18n;

export interface EconomicsInput {
  /** Debt-token units: what the swap returns (or the collateral itself when it is the debt token). */
  readonly proceeds: bigint;
  /** Debt-token units repaid to the protocol. */
  readonly debtRepaid: bigint;
  /** Debt-token units paid to the flash source on top of the principal. */
  readonly flashFee: bigint;
  readonly profitTokenDecimals: number;
  /** USD per whole profit token (the protocol's oracle price). */
  readonly profitTokenUsd: number;
  readonly gasUnits: bigint;
  /** Current base fee, wei per gas. */
  readonly baseFeePerGasWei: bigint;
  /** L2 data fee for the transaction, wei (Base charges for the L1 data; small but not zero). */
  readonly l1DataFeeWei?: bigint;
  /** USD per native token (ETH), read through the protocol's oracle. */
  readonly nativeUsd: number;
  /** Share of expected profit offered as priority fee, in [0, 1]. */
  readonly bidShareOfProfit: number;
  /** Cap on the priority fee per gas, wei. */
  readonly maxPriorityFeePerGasWei: bigint;
  /** "oev": proceeds are the OEV liquidator's share; the bid is a share of profit net of gas. Default "open". */
  readonly path?: LiquidationPath;
}

export interface Economics {
  /** proceeds - debtRepaid - flashFee, profit-token units (negative when it loses). */
  readonly expectedProfit: bigint;
  readonly expectedProfitUsd: number;
  /** Base fee + L1 data fee of the transaction, USD. */
  readonly gasCostUsd: number;
  readonly priorityFeePerGas: bigint;
  /** What the bid costs if the transaction uses `gasUnits`, USD. */
  readonly bidUsd: number;
  /** The fee cap to sign with: twice the base fee (room for two full blocks of base-fee rises) + bid. */
  readonly maxFeePerGas: bigint;
  readonly netProfitUsd: number;
}

function usdToWei(usd: number, nativeUsd: number): bigint {
  if (!(usd > 0) || !(nativeUsd > 0)) return 0n;
  return BigInt(Math.floor((usd / nativeUsd) * 1e18));
}

export function computeEconomics(input: EconomicsInput): Economics {
  if (!(input.bidShareOfProfit >= 0 && input.bidShareOfProfit <= 1)) {
    throw new RangeError(`bidShareOfProfit must be in [0, 1], got ${input.bidShareOfProfit}`);
  }
  if (input.gasUnits <= 0n) throw new RangeError(`gasUnits must be positive, got ${input.gasUnits}`);
  const expectedProfit = input.proceeds - input.debtRepaid - input.flashFee;
  const expectedProfitUsd = tokenAmountToUsd(expectedProfit, input.profitTokenDecimals, input.profitTokenUsd);
  const gasWei = input.gasUnits * input.baseFeePerGasWei + (input.l1DataFeeWei ?? 0n);
  const gasCostUsd = ratioToNumber(gasWei, WEI_PER_ETH) * input.nativeUsd;

  const biddable = input.path === "oev" ? Math.max(0, expectedProfitUsd - gasCostUsd) : expectedProfitUsd;
  const bidBudgetWei = usdToWei(biddable * input.bidShareOfProfit, input.nativeUsd);
  const uncappedPriorityFee = bidBudgetWei / input.gasUnits;
  const priorityFeePerGas = uncappedPriorityFee > input.maxPriorityFeePerGasWei ? input.maxPriorityFeePerGasWei : uncappedPriorityFee;
  const bidUsd = ratioToNumber(priorityFeePerGas * input.gasUnits, WEI_PER_ETH) * input.nativeUsd;

  return {
    expectedProfit,
    expectedProfitUsd,
    gasCostUsd,
    priorityFeePerGas,
    bidUsd,
    maxFeePerGas: 2n * input.baseFeePerGasWei + priorityFeePerGas,
    netProfitUsd: expectedProfitUsd - gasCostUsd - bidUsd,
  };
}

/**
 * The `minProfit` the executor enforces on chain: the simulated profit less a haircut, so ordinary
 * drift between simulation and inclusion (interest accrual, a pool moving a little) does not revert a
 * good liquidation, while a front-run that takes most of the profit still does.
 */
export function minProfitWithHaircut(simulatedProfit: bigint, haircutBps: number): bigint {
  if (!Number.isInteger(haircutBps) || haircutBps < 0 || haircutBps > 10_000) {
    throw new RangeError(`haircutBps must be an integer in [0, 10000], got ${haircutBps}`);
  }
  if (simulatedProfit <= 0n) {
    throw new RangeError(`simulated profit must be positive to set minProfit, got ${simulatedProfit}`);
  }
  return (simulatedProfit * (BPS - BigInt(haircutBps))) / BPS;
}

/** Gwei (as configured by people) to wei, exact to the wei for any sane fee. */
export function gweiToWei(gwei: number): bigint {
  if (!Number.isFinite(gwei) || gwei < 0) throw new RangeError(`gwei must be a non-negative number, got ${gwei}`);
  return BigInt(Math.round(gwei * 1e9));
}
