/**
 * The markets a scenario needs beyond the sandbox's genuine ones, and the keeper config that watches them. Today that
 * is Moonwell: a scenario with a Moonwell borrower group gets the Moonwell doubles behind OEV wrappers
 * (sandbox/moonwell-oev-market.ts) added to its sandbox, and the keeper's Moonwell plug-in (off by default outside
 * Base) is switched on for that sandbox, since its address book now names the market.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Sandbox } from "../../sandbox/sandbox-types";
import { addMoonwellOevMarket } from "../../sandbox/moonwell-oev-market";
import type { KeeperConfig } from "../config/schema";
import type { Scenario } from "./scenario";

/** The sandbox with every market the scenario's population opens positions in (unchanged when it needs none). */
export async function addScenarioMarkets(hre: HardhatRuntimeEnvironment, sandbox: Sandbox, scenario: Scenario): Promise<Sandbox> {
  return scenario.population.some((group) => group.protocol === "moonwell") ? addMoonwellOevMarket(hre, sandbox) : sandbox;
}

/** `config` with the Moonwell plug-in on when the sandbox's address book has a Moonwell market (as is). */
export function sandboxKeeperConfig(config: KeeperConfig, sandbox: Pick<Sandbox, "book">): KeeperConfig {
  if (sandbox.book.moonwell === undefined || config.markets.moonwell?.enabled === true) return config;
  return { ...config, markets: { ...config.markets, moonwell: { ...config.markets.moonwell!, enabled: true } } };
}
