/**
 * The keeper's configuration: schema, per-network defaults, loading (file + env) with field-by-field
 * errors, conversion to runtime settings, printing without secrets, and the LIVE safeguards.
 * (The address books are separate: address-book.ts, networks.ts.)
 */
export { keeperConfigSchema, KEEPER_NETWORKS, SANDBOX_NETWORKS, isRealNetwork, envVarName } from "./schema";
export type { KeeperConfig, KeeperConfigInput, KeeperNetwork } from "./schema";
export { loadKeeperConfig, ConfigError, deepMerge, describeValue } from "./load";
export type { ConfigIssue, LoadKeeperConfigOptions } from "./load";
export { defaultsFor } from "./defaults";
export { riskLimitsFromConfig, strategySettingsFromConfig, breakerThresholdsFromConfig } from "./runtime-settings";
export { redactConfig } from "./redact-config";
export { checkLiveSafeguards, addressOfPrivateKey } from "./live-safeguards";
