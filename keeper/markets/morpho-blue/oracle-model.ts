/**
 * A Morpho market oracle as arithmetic over its Chainlink feeds, so a feed update reprices the market
 * in memory. Morpho's ChainlinkOracleV2 (morpho-org/morpho-blue-oracles, src/morpho-chainlink/
 * MorphoChainlinkOracleV2.sol; read for the formula, no code copied) answers
 *
 *   price = SCALE_FACTOR · baseVaultAssets · baseFeed1 · baseFeed2 / (quoteVaultAssets · quoteFeed1 · quoteFeed2)
 *
 * (floor division; an absent feed or vault counts as 1). The sandbox's MorphoChainlinkOracleDouble is
 * the one-base-feed, one-quote-feed case. The model is trusted only after it reproduces `price()`
 * exactly; any other oracle is "opaque" and re-read from chain when one of its feeds moves.
 */
import {
  IChainlinkFeedProxy__factory,
  IERC4626__factory,
  IMorphoChainlinkOracleV2__factory,
  IOracle__factory,
  MockV3Aggregator__factory,
} from "../../../typechain-types";
import type { Address } from "../../config/address-book";
import { decodeAddressWord, decodeIntWord, decodeUintWord, type Multicall3Client, type MulticallCall } from "../../chain/multicall";

/**
 * The getters of the two oracle shapes the model understands (contracts/interfaces/IMorphoChainlinkOracleV2.sol):
 * ChainlinkOracleV2's and the sandbox double's single-feed one; the feeds' proxies (`aggregator()`) and the
 * vaults (ERC-4626 `convertToAssets`). Read-only probes: a getter the oracle lacks just fails its sub-call.
 */
const oracleV2Iface = IMorphoChainlinkOracleV2__factory.createInterface();
const vaultIface = IERC4626__factory.createInterface();

const ZERO = "0x0000000000000000000000000000000000000000";

export interface OracleModel {
  readonly oracle: Address;
  /** True when the formula reproduced `price()` at load time. */
  readonly exact: boolean;
  readonly scaleFactor: bigint;
  readonly baseFeeds: readonly Address[];
  readonly quoteFeeds: readonly Address[];
  readonly baseVault: Address | null;
  readonly quoteVault: Address | null;
  readonly baseVaultSample: bigint;
  readonly quoteVaultSample: bigint;
}

/** Current inputs of the formula: feed answers by lower-case feed, vault conversions. */
export interface OracleInputs {
  readonly answers: Map<string, bigint>;
  baseVaultAssets: bigint;
  quoteVaultAssets: bigint;
}

export function modelPrice(model: OracleModel, inputs: OracleInputs): bigint | undefined {
  let numerator = model.scaleFactor * inputs.baseVaultAssets;
  let denominator = inputs.quoteVaultAssets;
  for (const feed of model.baseFeeds) {
    const answer = inputs.answers.get(feed.toLowerCase());
    if (answer === undefined || answer < 0n) return undefined;
    numerator *= answer;
  }
  for (const feed of model.quoteFeeds) {
    const answer = inputs.answers.get(feed.toLowerCase());
    if (answer === undefined || answer < 0n) return undefined;
    denominator *= answer;
  }
  if (denominator === 0n) return undefined;
  return numerator / denominator;
}

function address(result: { success: boolean; returnData: string } | undefined): Address | null {
  if (!result || !result.success || result.returnData.length < 66) return null;
  const value = decodeAddressWord(result.returnData);
  return value.toLowerCase() === ZERO ? null : (value.toLowerCase() as Address);
}

function uint(result: { success: boolean; returnData: string } | undefined): bigint | undefined {
  if (!result || !result.success || result.returnData.length < 66) return undefined;
  return decodeUintWord(result.returnData);
}

/** Each getter's calldata, from the shape that declares it. */
const PROBE_CALLS = {
  SCALE_FACTOR: oracleV2Iface.encodeFunctionData("SCALE_FACTOR"),
  BASE_FEED_1: oracleV2Iface.encodeFunctionData("BASE_FEED_1"),
  BASE_FEED_2: oracleV2Iface.encodeFunctionData("BASE_FEED_2"),
  QUOTE_FEED_1: oracleV2Iface.encodeFunctionData("QUOTE_FEED_1"),
  QUOTE_FEED_2: oracleV2Iface.encodeFunctionData("QUOTE_FEED_2"),
  BASE_VAULT: oracleV2Iface.encodeFunctionData("BASE_VAULT"),
  QUOTE_VAULT: oracleV2Iface.encodeFunctionData("QUOTE_VAULT"),
  BASE_VAULT_CONVERSION_SAMPLE: oracleV2Iface.encodeFunctionData("BASE_VAULT_CONVERSION_SAMPLE"),
  QUOTE_VAULT_CONVERSION_SAMPLE: oracleV2Iface.encodeFunctionData("QUOTE_VAULT_CONVERSION_SAMPLE"),
} as const;
const PROBES = Object.keys(PROBE_CALLS) as (keyof typeof PROBE_CALLS)[];

/** Reads the oracle's shape; the model is `exact` only when its formula equals `price()` right now. */
export async function loadOracleModel(
  multicall: Multicall3Client,
  oracle: Address,
  blockTag?: number,
): Promise<{ model: OracleModel; inputs: OracleInputs; price: bigint }> {
  const calls: MulticallCall[] = [
    { target: oracle, callData: IOracle__factory.createInterface().encodeFunctionData("price") },
    ...PROBES.map((name) => ({ target: oracle, callData: PROBE_CALLS[name] })),
  ];
  const results = await multicall.aggregate3(calls, blockTag);
  const price = uint(results[0]);
  if (price === undefined) throw new Error(`morpho oracle ${oracle}: price() reverted`);
  const probe = (name: (typeof PROBES)[number]) => results[1 + PROBES.indexOf(name)];
  const scaleFactor = uint(probe("SCALE_FACTOR"));
  const baseFeeds = [address(probe("BASE_FEED_1")), address(probe("BASE_FEED_2"))].filter((a): a is Address => a !== null);
  const quoteFeeds = [address(probe("QUOTE_FEED_1")), address(probe("QUOTE_FEED_2"))].filter((a): a is Address => a !== null);
  const model: OracleModel = {
    oracle,
    exact: false,
    scaleFactor: scaleFactor ?? 0n,
    baseFeeds,
    quoteFeeds,
    baseVault: address(probe("BASE_VAULT")),
    quoteVault: address(probe("QUOTE_VAULT")),
    baseVaultSample: uint(probe("BASE_VAULT_CONVERSION_SAMPLE")) ?? 1n,
    quoteVaultSample: uint(probe("QUOTE_VAULT_CONVERSION_SAMPLE")) ?? 1n,
  };
  const inputs = await readOracleInputs(multicall, model, blockTag);
  const modelled = scaleFactor === undefined ? undefined : modelPrice(model, inputs);
  return { model: { ...model, exact: modelled === price }, inputs, price };
}

/** Reads the feeds' latest answers and the vaults' conversions the formula needs. */
export async function readOracleInputs(multicall: Multicall3Client, model: OracleModel, blockTag?: number): Promise<OracleInputs> {
  const aggregatorIface = MockV3Aggregator__factory.createInterface();
  const feeds = [...model.baseFeeds, ...model.quoteFeeds];
  const calls: MulticallCall[] = feeds.map((feed) => ({ target: feed, callData: aggregatorIface.encodeFunctionData("latestRoundData") }));
  if (model.baseVault) {
    calls.push({ target: model.baseVault, callData: vaultIface.encodeFunctionData("convertToAssets", [model.baseVaultSample]) });
  }
  if (model.quoteVault) {
    calls.push({ target: model.quoteVault, callData: vaultIface.encodeFunctionData("convertToAssets", [model.quoteVaultSample]) });
  }
  const results = await multicall.aggregate3(calls, blockTag);
  const answers = new Map<string, bigint>();
  feeds.forEach((feed, i) => {
    // latestRoundData → (roundId, answer, startedAt, updatedAt, answeredInRound): the answer is word 1.
    if (results[i].success && results[i].returnData.length >= 130) answers.set(feed.toLowerCase(), decodeIntWord(results[i].returnData, 1));
  });
  let next = feeds.length;
  const baseVaultAssets = model.baseVault ? (uint(results[next++]) ?? 0n) : 1n;
  const quoteVaultAssets = model.quoteVault ? (uint(results[next++]) ?? 0n) : 1n;
  return { answers, baseVaultAssets, quoteVaultAssets };
}

/** For each feed, the addresses whose AnswerUpdated logs carry its answer: itself and, for a proxy, its aggregator. */
export async function feedEmitters(
  multicall: Multicall3Client,
  feeds: readonly Address[],
  blockTag?: number,
): Promise<Map<string, Address>> {
  const aggregatorCall = IChainlinkFeedProxy__factory.createInterface().encodeFunctionData("aggregator");
  const results = await multicall.aggregate3(
    feeds.map((feed) => ({ target: feed, callData: aggregatorCall })),
    blockTag,
  );
  const emitterToFeed = new Map<string, Address>();
  feeds.forEach((feed, i) => {
    emitterToFeed.set(feed.toLowerCase(), feed);
    const behind = address(results[i]);
    if (behind) emitterToFeed.set(behind, feed);
  });
  return emitterToFeed;
}
