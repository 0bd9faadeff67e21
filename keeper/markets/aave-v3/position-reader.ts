/**
 * Reads Aave V3 borrowers' positions: user-configuration bitmaps and e-modes, then the scaled balances
 * of the reserves each bitmap flags (plus v3.0 stable debt). Two ways, same answers:
 * - Multicall3: one ABI getter per value, in aggregate3 batches (works on every node);
 * - storage: the same values read straight from the Pool's and tokens' storage slots in a handful of
 *   state-override eth_calls (storage-slot-reader.ts), once calibration against the getters found the
 *   slots (storage-layout.ts). Every storage read is spot-checked against the getters in the same
 *   round; a mismatch turns the storage path off for good and the read is redone through Multicall3.
 */
import type { Address } from "../../config/address-book";
import { decodeUintWord, encodeAddressArgCall, type MulticallCall, type MulticallResult } from "../../chain/multicall";
import type { MarketLogger } from "../market";
import type { MarketDependencies } from "../market-dependencies";
import { addressMappingSlot, readStorageSlots, supportsRawRpc, type RawRpcProvider, type SlotReadStats } from "../storage-slot-reader";
import type { AaveReserve, StableDebtPosition } from "./account-data";
import { activeReserveIds, isBorrowing, isUsingAsCollateral } from "./reserve-configuration";
import { calibrateAaveStorageLayout, SCALED_BALANCE_MASK, type AaveStorageLayout, type BalanceSample } from "./storage-layout";

export interface AaveReaderSelectors {
  readonly getUserConfiguration: string;
  readonly getUserEMode: string;
  readonly scaledBalanceOf: string;
  readonly principalBalanceOf: string;
  readonly getUserStableRate: string;
  readonly getUserLastUpdated: string;
}

export interface BorrowerReads {
  readonly configs: readonly bigint[];
  readonly eModes: readonly number[];
  /** By borrower index: scaled aToken balance per reserve id flagged as collateral. */
  readonly collateral: readonly Map<number, bigint>[];
  /** By borrower index: scaled variable debt per reserve id flagged as borrowed. */
  readonly variable: readonly Map<number, bigint>[];
  readonly stable: readonly Map<number, StableDebtPosition>[];
}

export interface ReadContext {
  readonly reserves: readonly (AaveReserve | undefined)[];
  readonly stableReserveIds: ReadonlySet<number>;
  readonly readEMode: boolean;
  /** Only borrowers with a borrow flag get balances read (the others cannot be liquidated). */
  hasAnyBorrow(config: bigint): boolean;
}

type BalanceKind = "collateral" | "variable" | "stable";
interface BalanceRead {
  readonly borrower: number;
  readonly reserve: number;
  readonly kind: BalanceKind;
  readonly token: Address;
}

/** A storage read that disagrees with the getters: the calibrated layout is wrong, stop using it. */
class StorageMismatchError extends Error {}

/** Consecutive failed storage reads (node errors, not mismatches) after which the storage path is dropped. */
const MAX_STORAGE_FAILURES = 3;

function requireSuccess(result: MulticallResult, what: string): string {
  if (!result.success || result.returnData === "0x") throw new Error(`aave: ${what} reverted or returned nothing`);
  return result.returnData;
}

export class AavePositionReader {
  /** undefined: not calibrated yet; null: storage path unavailable. */
  private layout: AaveStorageLayout | null | undefined;
  /** Storage keys by mapping index, then by user: one lookup per value, no key string built per read. */
  private readonly slotCache = new Map<number, Map<string, string>>();
  private readonly raw: RawRpcProvider | null;
  private storageFailures = 0;
  private spotCheckRound = 0;
  /** eth_calls the storage path sent (Multicall3's are counted by the client). */
  readonly storageStats: SlotReadStats = { rpcCalls: 0 };

  constructor(
    private readonly deps: MarketDependencies,
    private readonly pool: Address,
    private readonly selectors: AaveReaderSelectors,
    private readonly logger: MarketLogger,
    storageReads: boolean,
  ) {
    this.raw = storageReads && supportsRawRpc(deps.provider) ? deps.provider : null;
    this.layout = this.raw ? undefined : null;
  }

  /** Which path the next read takes. */
  get mode(): "multicall" | "storage" {
    return this.layout ? "storage" : "multicall";
  }

  async read(targets: readonly Address[], block: number, ctx: ReadContext): Promise<BorrowerReads> {
    if (this.layout) {
      try {
        const reads = await this.readFromStorage(this.layout, targets, block, ctx);
        this.storageFailures = 0;
        return reads;
      } catch (error) {
        // A mismatch means the layout is wrong: never again. A node error may pass: retry next time.
        this.storageFailures += 1;
        const permanent = error instanceof StorageMismatchError || this.storageFailures >= MAX_STORAGE_FAILURES;
        this.logger.warn(
          { pool: this.pool, error: (error as Error).message, permanent },
          permanent
            ? "aave storage reads disabled; using Multicall3 getters"
            : "aave storage read failed; this read uses Multicall3 getters",
        );
        if (permanent) this.layout = null;
      }
    }
    const reads = await this.readWithGetters(targets, block, ctx);
    if (this.layout === undefined) await this.calibrate(targets, reads, block, ctx);
    return reads;
  }

  /* ───────────────────────────── Multicall3 getters ───────────────────────────── */

  private async readWithGetters(targets: readonly Address[], block: number, ctx: ReadContext): Promise<BorrowerReads> {
    const { multicall } = this.deps;
    const perUser = ctx.readEMode ? 2 : 1;
    const round1: MulticallCall[] = [];
    for (const borrower of targets) {
      round1.push({ target: this.pool, callData: encodeAddressArgCall(this.selectors.getUserConfiguration, borrower) });
      if (ctx.readEMode) round1.push({ target: this.pool, callData: encodeAddressArgCall(this.selectors.getUserEMode, borrower) });
    }
    const r1 = await multicall.aggregate3(round1, block);
    const configs: bigint[] = [];
    const eModes: number[] = [];
    targets.forEach((borrower, i) => {
      configs.push(decodeUintWord(requireSuccess(r1[perUser * i], `Pool.getUserConfiguration(${borrower})`)));
      eModes.push(ctx.readEMode ? Number(decodeUintWord(requireSuccess(r1[perUser * i + 1], `Pool.getUserEMode(${borrower})`))) : 0);
    });
    const plan = this.balancePlan(configs, ctx);
    const r2 = await multicall.aggregate3(
      plan.map((entry) => ({
        target: entry.token,
        callData: encodeAddressArgCall(
          entry.kind === "stable" ? this.selectors.principalBalanceOf : this.selectors.scaledBalanceOf,
          targets[entry.borrower],
        ),
      })),
      block,
    );
    const values = plan.map((entry, i) =>
      decodeUintWord(requireSuccess(r2[i], `${entry.kind} balance of ${targets[entry.borrower]} in reserve ${entry.reserve}`)),
    );
    return this.assemble(targets, configs, eModes, plan, values, block);
  }

  /* ───────────────────────────── storage ───────────────────────────── */

  private slot(user: Address, index: number): string {
    let byUser = this.slotCache.get(index);
    if (byUser === undefined) this.slotCache.set(index, (byUser = new Map()));
    let slot = byUser.get(user);
    if (slot === undefined) byUser.set(user, (slot = addressMappingSlot(user, index)));
    return slot;
  }

  private async readFromStorage(
    layout: AaveStorageLayout,
    targets: readonly Address[],
    block: number,
    ctx: ReadContext,
  ): Promise<BorrowerReads> {
    const provider = this.raw!;
    const [configs, eModeWords] = await Promise.all([
      readStorageSlots(
        provider,
        this.pool,
        targets.map((u) => this.slot(u, layout.userConfigIndex)),
        block,
        this.storageStats,
      ),
      ctx.readEMode
        ? readStorageSlots(
            provider,
            this.pool,
            targets.map((u) => this.slot(u, layout.userEModeIndex)),
            block,
            this.storageStats,
          )
        : Promise.resolve(targets.map(() => 0n)),
    ]);
    const eModes = eModeWords.map((word) => Number(word & 0xffn));
    const plan = this.balancePlan(configs, ctx);

    // Scaled balances per token contract; v3.0 stable principals through getters (another layout).
    const byToken = new Map<Address, number[]>();
    const indexOf = (kind: BalanceKind): number => (kind === "collateral" ? layout.aTokenBalanceIndex : layout.variableDebtBalanceIndex);
    const stableEntries: number[] = [];
    plan.forEach((entry, i) => {
      if (entry.kind === "stable") {
        stableEntries.push(i);
        return;
      }
      const list = byToken.get(entry.token) ?? [];
      list.push(i);
      byToken.set(entry.token, list);
    });
    const values: bigint[] = new Array(plan.length);
    const tokenReads = [...byToken.entries()].map(async ([token, entries]) => {
      const words = await readStorageSlots(
        provider,
        token,
        entries.map((i) => this.slot(targets[plan[i].borrower], indexOf(plan[i].kind))),
        block,
        this.storageStats,
      );
      entries.forEach((planIndex, k) => (values[planIndex] = words[k] & SCALED_BALANCE_MASK));
    });
    const stableRead = (async () => {
      if (stableEntries.length === 0) return;
      const results = await this.deps.multicall.aggregate3(
        stableEntries.map((i) => ({
          target: plan[i].token,
          callData: encodeAddressArgCall(this.selectors.principalBalanceOf, targets[plan[i].borrower]),
        })),
        block,
      );
      stableEntries.forEach(
        (planIndex, k) => (values[planIndex] = decodeUintWord(requireSuccess(results[k], "StableDebtToken.principalBalanceOf"))),
      );
    })();
    const verifyBalances = this.spotCheck(targets, configs, eModes, ctx.readEMode, plan, block);
    await Promise.all([...tokenReads, stableRead]);
    (await verifyBalances)(values);
    return this.assemble(targets, configs, eModes, plan, values, block);
  }

  /**
   * Reads a few of the same values through the ABI getters, in parallel with the storage reads
   * (samples spread over the list, so a wrong slot for any one token is likely to show). Checks the
   * configurations at once and returns the check of the balances, to run once they are read.
   */
  private async spotCheck(
    targets: readonly Address[],
    configs: readonly bigint[],
    eModes: readonly number[],
    readEMode: boolean,
    plan: readonly BalanceRead[],
    block: number,
  ): Promise<(values: readonly bigint[]) => void> {
    // Samples spread over the list and shifted on every read, so over a few rescans every part of
    // the list (and every token) gets compared with the getters.
    const offset = this.spotCheckRound++;
    const pick = (length: number, count: number): number[] => {
      const n = Math.min(count, length);
      return length === 0 ? [] : [...new Set(Array.from({ length: n }, (_, k) => (Math.floor((k * length) / n) + offset) % length))];
    };
    const userIndexes = pick(targets.length, 3);
    // A wrong e-mode slot reads 0 for everybody, so also check users the storage says are in e-mode.
    const eModeIndexes = readEMode ? [...new Set([...userIndexes, ...eModes.flatMap((e, i) => (e !== 0 ? [i] : [])).slice(0, 2)])] : [];
    const balanceIndexes = pick(plan.length, 6).filter((i) => plan[i].kind !== "stable");
    const calls: MulticallCall[] = [
      ...userIndexes.map((i) => ({ target: this.pool, callData: encodeAddressArgCall(this.selectors.getUserConfiguration, targets[i]) })),
      ...eModeIndexes.map((i) => ({ target: this.pool, callData: encodeAddressArgCall(this.selectors.getUserEMode, targets[i]) })),
      ...balanceIndexes.map((i) => ({
        target: plan[i].token,
        callData: encodeAddressArgCall(this.selectors.scaledBalanceOf, targets[plan[i].borrower]),
      })),
    ];
    const results = await this.deps.multicall.aggregate3(calls, block);
    userIndexes.forEach((i, k) => {
      const value = decodeUintWord(requireSuccess(results[k], "Pool.getUserConfiguration"));
      if (value !== configs[i])
        throw new StorageMismatchError(`storage read of ${targets[i]}'s configuration disagrees with getUserConfiguration`);
    });
    eModeIndexes.forEach((i, k) => {
      const value = Number(decodeUintWord(requireSuccess(results[userIndexes.length + k], "Pool.getUserEMode")));
      if (value !== eModes[i])
        throw new StorageMismatchError(`storage read of ${targets[i]}'s e-mode (${eModes[i]}) disagrees with getUserEMode (${value})`);
    });
    const balanceBase = userIndexes.length + eModeIndexes.length;
    return (values) =>
      balanceIndexes.forEach((planIndex, k) => {
        const expected = decodeUintWord(requireSuccess(results[balanceBase + k], "scaledBalanceOf"));
        if (expected !== values[planIndex]) {
          throw new StorageMismatchError(
            `storage read of a scaled balance disagrees with scaledBalanceOf (${expected} vs ${values[planIndex]})`,
          );
        }
      });
  }

  private async calibrate(targets: readonly Address[], reads: BorrowerReads, block: number, ctx: ReadContext): Promise<void> {
    const configSamples = targets.map((user, i) => ({ user, config: reads.configs[i] })).filter((s) => s.config !== 0n);
    const balanceSamples: BalanceSample[] = [];
    targets.forEach((user, i) => {
      for (const [id, scaled] of reads.collateral[i])
        balanceSamples.push({ kind: "aToken", token: ctx.reserves[id]!.aToken, user, scaled });
      for (const [id, scaled] of reads.variable[i])
        balanceSamples.push({ kind: "variableDebt", token: ctx.reserves[id]!.variableDebtToken, user, scaled });
    });
    const hasSample = (kind: BalanceSample["kind"]) => balanceSamples.some((s) => s.kind === kind && s.scaled !== 0n);
    if (configSamples.length === 0 || !hasSample("aToken") || !hasSample("variableDebt")) return; // try again with data
    this.layout = await calibrateAaveStorageLayout(this.raw!, this.pool, configSamples, balanceSamples, block, this.storageStats);
    this.logger.info(
      { pool: this.pool, layout: this.layout },
      this.layout ? "aave storage layout calibrated" : "aave storage layout not found; using Multicall3 getters",
    );
  }

  /* ───────────────────────────── shared ───────────────────────────── */

  private balancePlan(configs: readonly bigint[], ctx: ReadContext): BalanceRead[] {
    const plan: BalanceRead[] = [];
    configs.forEach((config, b) => {
      if (!ctx.hasAnyBorrow(config)) return;
      for (const id of activeReserveIds(config)) {
        const reserve = ctx.reserves[id];
        if (!reserve) continue;
        if (isUsingAsCollateral(config, id)) plan.push({ borrower: b, reserve: id, kind: "collateral", token: reserve.aToken });
        if (isBorrowing(config, id)) {
          plan.push({ borrower: b, reserve: id, kind: "variable", token: reserve.variableDebtToken });
          if (ctx.stableReserveIds.has(id)) plan.push({ borrower: b, reserve: id, kind: "stable", token: reserve.stableDebtToken });
        }
      }
    });
    return plan;
  }

  /** Turns raw values into per-borrower maps; reads stable-debt rate and timestamp for non-zero principals. */
  private async assemble(
    targets: readonly Address[],
    configs: readonly bigint[],
    eModes: readonly number[],
    plan: readonly BalanceRead[],
    values: readonly bigint[],
    block: number,
  ): Promise<BorrowerReads> {
    const collateral = targets.map(() => new Map<number, bigint>());
    const variable = targets.map(() => new Map<number, bigint>());
    const stable = targets.map(() => new Map<number, StableDebtPosition>());
    const principals: { entry: BalanceRead; principal: bigint }[] = [];
    plan.forEach((entry, i) => {
      if (entry.kind === "collateral") collateral[entry.borrower].set(entry.reserve, values[i]);
      else if (entry.kind === "variable") variable[entry.borrower].set(entry.reserve, values[i]);
      else if (values[i] > 0n) principals.push({ entry, principal: values[i] });
    });
    if (principals.length > 0) {
      const results = await this.deps.multicall.aggregate3(
        principals.flatMap(({ entry }) => [
          { target: entry.token, callData: encodeAddressArgCall(this.selectors.getUserStableRate, targets[entry.borrower]) },
          { target: entry.token, callData: encodeAddressArgCall(this.selectors.getUserLastUpdated, targets[entry.borrower]) },
        ]),
        block,
      );
      principals.forEach(({ entry, principal }, k) => {
        stable[entry.borrower].set(entry.reserve, {
          principal,
          rate: decodeUintWord(requireSuccess(results[2 * k], "StableDebtToken.getUserStableRate")),
          lastUpdateTimestamp: decodeUintWord(requireSuccess(results[2 * k + 1], "StableDebtToken.getUserLastUpdated")),
        });
      });
    }
    return { configs, eModes, collateral, variable, stable };
  }
}
