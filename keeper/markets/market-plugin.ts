/**
 * What a lending-market plug-in supplies besides its LendingMarket class: its name, its config section
 * (schema and per-network defaults) and the factory that builds its markets from the address book.
 * Everything else about the protocol travels on the markets it builds: discovery and its start block,
 * reading, health, sizing, and the executor call of every candidate (LiquidationCall). The plug-ins
 * are listed in ONE table, registry.ts; the config schema, the defaults and `createMarkets` are built
 * from it, so nothing outside a plug-in's folder names a protocol (keeper/markets/README.md).
 */
import { z } from "zod";
import type { AddressBook } from "../config/address-book";
import type { KeeperNetwork } from "../config/schema";
import { bool, positiveInteger } from "../config/schema-fields";
import type { LendingMarket } from "./market";
import type { MarketDependencies } from "./market-dependencies";

/** What every market section of the config has (each plug-in adds fields of its own). */
export interface MarketSection {
  readonly enabled: boolean;
  /** Sub-calls per Multicall3 eth_call when this plug-in's markets read positions. */
  readonly batchSize: number;
  readonly [field: string]: unknown;
}

/** The config's `markets`: plug-in name → its section. */
export type MarketSections = Readonly<Record<string, MarketSection>>;

export interface MarketPlugin<Section extends MarketSection = MarketSection> {
  /** The config key (`markets.<name>`), the `protocol` of its positions and the prefix of its market ids. */
  readonly name: string;
  readonly config: {
    /** Validates `markets.<name>`; build it with `marketSectionSchema` so it names every bad field. */
    readonly schema: z.ZodType<Section, z.ZodTypeDef, unknown>;
    /** `markets.<name>` on each network before a config file overrides it. */
    defaults(network: KeeperNetwork): Section;
  };
  /**
   * Constructs (does not initialise) the markets of an enabled section, or throws naming what the
   * address book lacks. `deps.multicall` batches `section.batchSize` sub-calls per eth_call. Async so a
   * plug-in loads its market code (and the TypeChain bindings it needs) only when markets are built.
   */
  create(book: AddressBook, section: Section, deps: MarketDependencies): Promise<LendingMarket[]>;
}

/** A plug-in's section: `enabled` and `batchSize` plus its own fields, strict (a misspelt field is an error). */
export function marketSectionSchema<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.object({ enabled: bool, batchSize: positiveInteger, ...extra }).strict();
}

/** Multicall3 sub-calls per eth_call by default: the sandbox's node takes more than hosted endpoints allow. */
export const DEFAULT_BATCH_SIZE: Readonly<Record<KeeperNetwork, number>> = {
  hardhat: 250,
  localhost: 250,
  base: 200,
  baseSepolia: 200,
  mainnet: 200,
};

/** The `markets` part of the config schema: one section per plug-in, nothing else. */
export function marketsSchema(plugins: readonly MarketPlugin[]): z.ZodType<MarketSections, z.ZodTypeDef, unknown> {
  return z.object(Object.fromEntries(plugins.map((plugin) => [plugin.name, plugin.config.schema]))).strict();
}

/** The `markets` part of a network's default config. */
export function marketDefaults(plugins: readonly MarketPlugin[], network: KeeperNetwork): MarketSections {
  return Object.fromEntries(plugins.map((plugin) => [plugin.name, plugin.config.defaults(network)]));
}
