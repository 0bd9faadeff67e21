/**
 * The relay path (Ethereum mainnet, or any relay that speaks eth_callBundle / eth_sendBundle):
 * simulate a bundle for a target block, refuse to send it if the simulation reverts or fails the
 * profit check, otherwise send it — through @flashbots/ethers-provider-bundle, which signs every
 * request body with the auth key (X-Flashbots-Signature).
 *
 * The auth key identifies the searcher to the relay and builds reputation; it must never be the
 * key that signs transactions, or one leaked credential would both impersonate the searcher and
 * spend its funds. `create` refuses an auth signer equal to the transaction signer.
 */
import { FlashbotsBundleProvider, type SimulationResponse } from "@flashbots/ethers-provider-bundle";
import { getAddress, type Provider, type Signer } from "ethers";
import { redactUrl } from "../telemetry/redact";
import { errorMessage } from "../core/error-message";

/** A simulation result in the keeper's terms. */
export interface BundleSimulation {
  readonly targetBlock: number;
  readonly stateBlockNumber: number;
  readonly totalGasUsed: number;
  /** Σ gasUsed × gasPrice over the bundle: what the searcher pays in gas. */
  readonly gasFeesWei: bigint;
  /** What the block's fee recipient gains (priority fees plus direct payments). */
  readonly coinbaseDiffWei: bigint;
  readonly ethSentToCoinbaseWei: bigint;
  /** The first transaction that reverted, or null when none did. */
  readonly firstRevert: { readonly txHash: string; readonly reason: string } | null;
}

/** Returns null when a simulated bundle is worth sending, or the reason it is not. */
export type BundleCheck = (simulation: BundleSimulation) => string | null;

export type SimulateAndSendOutcome =
  | { readonly sent: true; readonly bundleHash: string; readonly simulation: BundleSimulation }
  | {
      readonly sent: false;
      readonly reason: "bundle-simulation-reverted" | "bundle-profit-check-failed";
      readonly detail: string;
      readonly simulation: BundleSimulation;
    };

/** The relay refused a request (bad auth, malformed bundle, HTTP error); names the relay redacted. */
export class RelayRequestError extends Error {
  override readonly name = "RelayRequestError";
  constructor(
    readonly relay: string,
    readonly method: string,
    readonly detail: string,
  ) {
    super(`relay ${relay} refused ${method}: ${detail}`);
  }
}

export interface BundleSubmitterOptions {
  readonly relayUrl: string;
  /** Printable relay name; defaults to the redacted URL. */
  readonly relayLabel?: string;
  /** Signs relay requests (FLASHBOTS_AUTH_KEY). */
  readonly authSigner: Signer;
  /** Address of the key that signs the bundle's transactions (KEEPER_PRIVATE_KEY). */
  readonly transactionSignerAddress: string;
  /** Any provider for the chain; the relay client uses it only for block lookups by tag. */
  readonly provider: Provider;
  readonly chainId: number;
}

export class BundleSubmitter {
  readonly relay: string;
  readonly authAddress: string;
  readonly #client: FlashbotsBundleProvider;

  private constructor(client: FlashbotsBundleProvider, relay: string, authAddress: string) {
    this.#client = client;
    this.relay = relay;
    this.authAddress = authAddress;
  }

  static async create(options: BundleSubmitterOptions): Promise<BundleSubmitter> {
    const authAddress = getAddress(await options.authSigner.getAddress());
    if (authAddress === getAddress(options.transactionSignerAddress)) {
      throw new Error(
        `the bundle auth key (${authAddress}) must differ from the transaction signing key: ` +
          "set FLASHBOTS_AUTH_KEY to a separate key that holds no funds",
      );
    }
    const relay = options.relayLabel ?? redactUrl(options.relayUrl);
    // Passing the chain id keeps the client from asking the provider for it.
    const client = await FlashbotsBundleProvider.create(options.provider, options.authSigner, options.relayUrl, options.chainId);
    return new BundleSubmitter(client, relay, authAddress);
  }

  /** eth_callBundle for `targetBlock` on the latest state. */
  async simulate(rawTransactions: readonly string[], targetBlock: number): Promise<BundleSimulation> {
    const response = await this.#relayCall("eth_callBundle", () => this.#client.simulate([...rawTransactions], targetBlock));
    if ("error" in response) {
      throw new RelayRequestError(this.relay, "eth_callBundle", `${response.error.code}: ${response.error.message}`);
    }
    const revert = response.firstRevert;
    return {
      targetBlock,
      stateBlockNumber: Number(response.stateBlockNumber),
      totalGasUsed: response.totalGasUsed,
      gasFeesWei: response.gasFees,
      coinbaseDiffWei: response.coinbaseDiff,
      ethSentToCoinbaseWei: response.ethSentToCoinbase,
      firstRevert:
        revert === undefined
          ? null
          : { txHash: revert.txHash, reason: "revert" in revert ? `${revert.error}: ${revert.revert}` : "reverted" },
    };
  }

  /** eth_sendBundle for `targetBlock`. Does not simulate: use `simulateAndSend`. */
  async send(rawTransactions: readonly string[], targetBlock: number): Promise<string> {
    const response = await this.#relayCall("eth_sendBundle", () => this.#client.sendRawBundle([...rawTransactions], targetBlock));
    if ("error" in response) {
      throw new RelayRequestError(this.relay, "eth_sendBundle", `${response.error.code}: ${response.error.message}`);
    }
    return response.bundleHash;
  }

  /** Simulates, applies `check`, and sends only a bundle that neither reverts nor fails the check. */
  async simulateAndSend(rawTransactions: readonly string[], targetBlock: number, check: BundleCheck): Promise<SimulateAndSendOutcome> {
    const simulation = await this.simulate(rawTransactions, targetBlock);
    if (simulation.firstRevert !== null) {
      return {
        sent: false,
        reason: "bundle-simulation-reverted",
        detail: `transaction ${simulation.firstRevert.txHash} reverts in simulation for block ${targetBlock}: ${simulation.firstRevert.reason}`,
        simulation,
      };
    }
    const refusal = check(simulation);
    if (refusal !== null) return { sent: false, reason: "bundle-profit-check-failed", detail: refusal, simulation };
    const bundleHash = await this.send(rawTransactions, targetBlock);
    return { sent: true, bundleHash, simulation };
  }

  /**
   * Runs one relay request, turning the client's thrown errors (which embed the relay URL, and so
   * any key in it) into a `RelayRequestError` that names the relay by its redacted label.
   */
  async #relayCall<T extends SimulationResponse | object>(method: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const message = errorMessage(error);
      throw new RelayRequestError(this.relay, method, message.replace(/\s*\(URL: [^)]*\)/g, "").slice(0, 300));
    }
  }
}
