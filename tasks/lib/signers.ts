/**
 * Which key a task signs with. Candidates are the network's configured accounts (DEPLOYER_PRIVATE_KEY on
 * remote networks, the node's unlocked accounts on localhost) plus the keeper's operator key when
 * KEEPER_PRIVATE_KEY is set, so `pause` and `emergency` can run with the hot key the keeper uses. Keys are
 * never task arguments: `--from <address>` only chooses among these. Without --from, a task signs with
 * the first of them that holds the role it needs (tasks/lib/executor-action.ts); either way the role is
 * checked before anything is sent.
 */
import { Wallet, getAddress, type Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { KeySettingError, readPrivateKeySetting, SIGNING_KEY_VARIABLE } from "../../keeper/config/key-settings";
import { envOrVar } from "./config-vars";
import { parseAddress } from "./args";

export interface AvailableSigner {
  readonly address: string;
  readonly signer: Signer;
  /** Where the key comes from, for messages: "network account #0", "KEEPER_PRIVATE_KEY". */
  readonly source: string;
}

export async function availableSigners(hre: HardhatRuntimeEnvironment): Promise<AvailableSigner[]> {
  const accounts = await hre.ethers.getSigners();
  const found: AvailableSigner[] = accounts.map((signer, index) => ({
    address: getAddress(signer.address),
    signer,
    source: `network account #${index}`,
  }));
  const keeperKey = keeperKeySetting();
  if (keeperKey !== undefined && !(keeperKey instanceof KeySettingError)) {
    const wallet = new Wallet(keeperKey.privateKey, hre.ethers.provider);
    if (!found.some((candidate) => candidate.address === wallet.address)) {
      found.push({ address: wallet.address, signer: wallet, source: SIGNING_KEY_VARIABLE });
    }
  }
  return found;
}

/**
 * KEEPER_PRIVATE_KEY as a task sees it. A malformed one is not a signer; it is reported (named, never
 * shown) where the task lists what it can sign with, and warned about once, so a typo in the hot key
 * does not stop `pause --from <owner>` in an emergency.
 */
function keeperKeySetting(): ReturnType<typeof readPrivateKeySetting> | KeySettingError {
  try {
    return readPrivateKeySetting(envOrVar, SIGNING_KEY_VARIABLE);
  } catch (error) {
    if (!(error instanceof KeySettingError)) throw error;
    if (!warnedAboutKeeperKey) console.warn(`Warning: ${error.message} Tasks ignore it until it is fixed.`);
    warnedAboutKeeperKey = true;
    return error;
  }
}
let warnedAboutKeeperKey = false;

/** Short list of the candidates for error messages ("0xabc… (network account #0), …"). */
export function describeAvailable(signers: readonly AvailableSigner[]): string {
  const keeperKey = keeperKeySetting();
  const ignored = keeperKey instanceof KeySettingError ? ` (${keeperKey.message})` : "";
  if (signers.length === 0) return `none (set DEPLOYER_PRIVATE_KEY or KEEPER_PRIVATE_KEY for this network)${ignored}`;
  const shown = signers.slice(0, 6).map((s) => `${s.address} (${s.source})`);
  return shown.join(", ") + (signers.length > shown.length ? `, and ${signers.length - shown.length} more` : "") + ignored;
}

/**
 * The signer `--from` names, or the first available one. Undefined only when the network has no account
 * at all and --from was not given (Safe batches need no signer). A --from that is not configured is an error.
 */
export async function selectSigner(hre: HardhatRuntimeEnvironment, from: string | undefined): Promise<AvailableSigner | undefined> {
  const signers = await availableSigners(hre);
  if (from === undefined) return signers[0];
  const wanted = parseAddress("--from", from);
  const match = signers.find((candidate) => candidate.address === wanted);
  if (match === undefined) {
    throw new Error(
      `--from ${wanted} is not an account this network can sign with; available: ${describeAvailable(signers)}. ` +
        `Configure its key (npx hardhat vars set DEPLOYER_PRIVATE_KEY, or KEEPER_PRIVATE_KEY for the operator key) and retry.`,
    );
  }
  return match;
}
