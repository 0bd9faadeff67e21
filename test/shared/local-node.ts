/**
 * Serves the in-process Hardhat network over real HTTP JSON-RPC on 127.0.0.1 (ephemeral port), so
 * code that only speaks to URLs (the keeper's RPC pool, the send path, a fault proxy, a local relay)
 * runs against the same chain the tests deploy to. Uses Hardhat's own JSON-RPC server class, the one
 * `npx hardhat node` runs, without blocking like the `node` task does.
 */
import hre from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { JsonRpcServer } from "hardhat/internal/hardhat-network/jsonrpc/server";
import { HDNodeWallet, Wallet, type Provider } from "ethers";

export interface LocalNode {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  readonly chainId: number;
  close(): Promise<void>;
}

/** Starts a JSON-RPC server over `runtime.network.provider`; close it in an `after` hook. */
export async function startLocalNode(runtime: HardhatRuntimeEnvironment = hre): Promise<LocalNode> {
  if (runtime.network.name !== "hardhat") {
    throw new Error(`startLocalNode serves the in-process "hardhat" network; this run uses "${runtime.network.name}"`);
  }
  const server = new JsonRpcServer({ hostname: "127.0.0.1", port: 0, provider: runtime.network.provider });
  const { address, port } = await server.listen();
  const chainId = Number(await runtime.network.provider.request({ method: "eth_chainId" }));
  let closed = false;
  return {
    url: `http://${address}:${port}/`,
    chainId,
    close: async () => {
      if (closed) return;
      closed = true;
      await server.close();
    },
  };
}

/**
 * The wallet (with its private key) of Hardhat's default account `index`, for code that signs raw
 * transactions itself instead of asking the node to sign.
 */
export function localNodeWallet(index: number, provider?: Provider, runtime: HardhatRuntimeEnvironment = hre): Wallet {
  // The in-process network's own config (not `network.config`, whose type also covers remote networks).
  const accounts = runtime.config.networks.hardhat.accounts;
  let wallet: Wallet;
  if (Array.isArray(accounts)) {
    const account = accounts[index];
    if (account === undefined) throw new Error(`the hardhat network config has no account #${index}`);
    wallet = new Wallet(account.privateKey);
  } else {
    if (index >= accounts.count) throw new Error(`the hardhat network config derives ${accounts.count} accounts; #${index} does not exist`);
    const hd = HDNodeWallet.fromPhrase(accounts.mnemonic, accounts.passphrase, `${accounts.path}/${accounts.initialIndex + index}`);
    wallet = new Wallet(hd.privateKey);
  }
  return provider === undefined ? wallet : wallet.connect(provider);
}

/**
 * Takes an EVM snapshot and returns a function that restores it: lets a test file that moves the
 * shared in-process chain (mines blocks, spends nonces) leave it as it found it.
 */
export async function snapshotChain(runtime: HardhatRuntimeEnvironment = hre): Promise<() => Promise<void>> {
  const id = await runtime.network.provider.request({ method: "evm_snapshot" });
  return async () => {
    const reverted = await runtime.network.provider.request({ method: "evm_revert", params: [id] });
    if (reverted !== true) throw new Error(`evm_revert(${String(id)}) failed; the chain was not restored`);
  };
}
