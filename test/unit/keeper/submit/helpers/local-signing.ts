/**
 * What a submit test that signs real transactions for the local node (test/shared/local-node.ts) sets up before each
 * test: a read pool on the node, the wallet's nonce manager with its lock in a fresh temporary directory, and the
 * keeper's transaction preparer under LOCAL_NODE_FEE_POLICY. `close` releases them, the lock directory included.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Wallet } from "ethers";
import { ReadProviderPool } from "../../../../../keeper/rpc/read-provider-pool";
import { NonceManager } from "../../../../../keeper/submit/nonce-manager";
import { TransactionPreparer, latestBlockBaseFee } from "../../../../../keeper/submit/transaction-preparer";
import type { LocalNode } from "../../../../shared/local-node";
import { LOCAL_NODE_FEE_POLICY } from "./fee-policies";

export interface LocalSigning {
  readonly pool: ReadProviderPool;
  readonly nonces: NonceManager;
  readonly preparer: TransactionPreparer;
  close(): void;
}

export async function openLocalSigning(node: LocalNode, signer: Wallet, lockPrefix: string): Promise<LocalSigning> {
  const pool = new ReadProviderPool({ chainId: node.chainId, endpoints: [{ url: node.url, label: "node" }], hedgeAfterMs: null });
  const lockDirectory = fs.mkdtempSync(path.join(os.tmpdir(), lockPrefix));
  const nonces = await NonceManager.open({ address: signer.address, chainId: node.chainId, source: pool.provider, lockDirectory });
  const preparer = await TransactionPreparer.create({
    signer,
    chainId: node.chainId,
    nonces,
    fees: LOCAL_NODE_FEE_POLICY,
    baseFee: latestBlockBaseFee(pool.provider),
  });
  return {
    pool,
    nonces,
    preparer,
    close() {
      nonces.close();
      pool.destroy();
      fs.rmSync(lockDirectory, { recursive: true, force: true });
    },
  };
}
