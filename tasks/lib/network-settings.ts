/**
 * The settings a Hardhat network is built from (its RPC URL variable, the deployer key), checked in one
 * place for every command. hardhat.config.ts builds the networks with `networkUrl` and `deployerAccounts`,
 * which never put a missing or malformed value into Hardhat's config (Hardhat would reject the whole
 * file, breaking even commands that never use that network, and quote the bad value back). Instead
 * `guardNetworkSettings`, run for every command through `extendEnvironment`, puts a gate in front of
 * the selected network's provider: the first request a command makes (status, pause, verify,
 * `ignition deploy`, every task that reads the chain) fails with the variable's name and how to set it,
 * instead of "getaddrinfo ENOTFOUND". Commands that never touch the network are not affected.
 */
import { HardhatPluginError } from "hardhat/plugins";
import type { EthereumProvider, HardhatRuntimeEnvironment } from "hardhat/types";
import { DEPLOYER_KEY_VARIABLE, KeySettingError, readPrivateKeySetting } from "../../keeper/config/key-settings";
import { envOrVar } from "./config-vars";

/** The variable holding each network's RPC URL. localhost's is optional (default http://127.0.0.1:8545). */
export const NETWORK_URL_VARIABLES: Readonly<Record<string, string>> = {
  base: "BASE_RPC_URL",
  baseSepolia: "BASE_SEPOLIA_RPC_URL",
  mainnet: "MAINNET_RPC_URL",
  localhost: "LOCALHOST_RPC_URL",
};

export const LOCALHOST_DEFAULT_URL = "http://127.0.0.1:8545";
const URL_PATTERN = /^(https?|wss?):\/\/\S+$/i;

export type UrlSettingProblem = "unset" | "not-a-url";

/** What is wrong with a network's URL variable, if anything (localhost: only a malformed value). */
export function urlSettingProblem(network: string): UrlSettingProblem | undefined {
  const variable = NETWORK_URL_VARIABLES[network];
  if (variable === undefined) return undefined;
  const value = envOrVar(variable);
  if (value === undefined) return network === "localhost" ? undefined : "unset";
  return URL_PATTERN.test(value) ? undefined : "not-a-url";
}

/** The URL Hardhat's config gets: the variable's value when usable, else a placeholder that never resolves. */
export function networkUrl(network: string): string {
  const variable = NETWORK_URL_VARIABLES[network];
  if (variable === undefined) throw new Error(`no RPC URL variable is known for network "${network}"`);
  const problem = urlSettingProblem(network);
  if (problem === undefined) return envOrVar(variable) ?? LOCALHOST_DEFAULT_URL;
  return `http://unset.invalid/set-${variable}-with-npx-hardhat-vars-set`;
}

/** The deployer account for remote networks: none when DEPLOYER_PRIVATE_KEY is unset or malformed. */
export function deployerAccounts(): string[] {
  try {
    const key = readPrivateKeySetting(envOrVar, DEPLOYER_KEY_VARIABLE);
    return key === undefined ? [] : [key.privateKey];
  } catch (error) {
    if (error instanceof KeySettingError) return [];
    throw error;
  }
}

/** DEPLOYER_PRIVATE_KEY's problem (a message naming it, never its value), if it is set but malformed. */
export function deployerKeyProblem(): string | undefined {
  try {
    readPrivateKeySetting(envOrVar, DEPLOYER_KEY_VARIABLE);
    return undefined;
  } catch (error) {
    if (error instanceof KeySettingError) return error.message;
    throw error;
  }
}

/** The operator-facing message for a network whose URL variable cannot be used. */
export function urlSettingMessage(network: string, problem: UrlSettingProblem): string {
  const variable = NETWORK_URL_VARIABLES[network]!;
  const what =
    problem === "unset"
      ? `${variable} is not set; --network ${network} needs it to reach the chain`
      : `${variable} does not hold an http(s) or ws(s) URL (its value is not shown); --network ${network} needs one`;
  return `${what}. Set it with \`npx hardhat vars set ${variable}\` or export ${variable}=... (see .env.example).`;
}

/**
 * Installs the gate on the selected network's provider (see the file comment). A malformed deployer key
 * on a remote network is warned about once, at the first request: the command runs without that account.
 */
export function guardNetworkSettings(hre: HardhatRuntimeEnvironment): void {
  const network = hre.network.name;
  const problem = urlSettingProblem(network);
  const deployerProblem = network in NETWORK_URL_VARIABLES && network !== "localhost" ? deployerKeyProblem() : undefined;
  if (problem === undefined && deployerProblem === undefined) return;
  const inner = hre.network.provider;
  let warned = false;
  const gate = () => {
    if (problem !== undefined) throw new HardhatPluginError("chimera", urlSettingMessage(network, problem));
    if (!warned && deployerProblem !== undefined) {
      warned = true;
      console.warn(`Warning: ${deployerProblem} --network ${network} runs without a deployer account until it is fixed.`);
    }
  };
  hre.network.provider = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === "request" || property === "send") {
        return async (...args: unknown[]) => {
          gate();
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      }
      if (property === "sendAsync") {
        return (payload: unknown, callback: (error: unknown, response?: unknown) => void) => {
          try {
            gate();
          } catch (error) {
            callback(error);
            return;
          }
          (value as (p: unknown, c: unknown) => void).call(target, payload, callback);
        };
      }
      return value;
    },
  }) as EthereumProvider;
}
