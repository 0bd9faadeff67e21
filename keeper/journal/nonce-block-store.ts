/**
 * The `nonce_blocks` table: a signing key's nonce that no transaction within the cancel ceiling can replace
 * (submit/transaction-preparer.ts's NonceBlock). It lives in the journal, not only in the process that found it, so
 * a restarted keeper or a standby that takes over knows at once that nothing it sends can land — /status and
 * keeper_nonce_blocked show it from start-up — instead of finding it again at its first fee bump, blocks later.
 * One row per key while blocked; the row is deleted when the chain shows the nonce mined.
 */
import { getAddress } from "ethers";
import type { Address } from "../core/types";
import type { NonceBlock } from "../submit/transaction-preparer";
import type { SqlConnection } from "./sql-connection";
import { checkNonce } from "./validation";

interface NonceBlockRow {
  signer: string;
  nonce: number;
  stuck_tx_hash: string | null;
  stuck_max_fee_per_gas: string;
  needed_max_fee_per_gas: string;
  cancel_max_fee_per_gas_ceiling: string;
  reason: string;
  since: number;
}

export class NonceBlockStore {
  constructor(
    private readonly connection: SqlConnection,
    private readonly clock: () => number,
  ) {}

  /** The key's blocked nonce as last recorded, or null. */
  get(signer: string): NonceBlock | null {
    const row = this.connection.get<NonceBlockRow>("SELECT * FROM nonce_blocks WHERE signer = ?", [signer.toLowerCase()]);
    if (row === undefined) return null;
    return {
      address: getAddress(row.signer) as Address,
      nonce: Number(row.nonce),
      stuckTxHash: row.stuck_tx_hash,
      stuckMaxFeePerGas: BigInt(row.stuck_max_fee_per_gas),
      neededMaxFeePerGas: BigInt(row.needed_max_fee_per_gas),
      cancelMaxFeePerGasCeiling: BigInt(row.cancel_max_fee_per_gas_ceiling),
      reason: row.reason,
      sinceMs: Number(row.since),
    };
  }

  /** Records `block` as the key's blocked nonce (replacing any earlier one), or, with null, clears it. */
  set(signer: string, block: NonceBlock | null): void {
    const key = signer.toLowerCase();
    if (block === null) {
      this.connection.run("DELETE FROM nonce_blocks WHERE signer = ?", [key]);
      return;
    }
    checkNonce(block.nonce);
    this.connection.run(
      `INSERT INTO nonce_blocks (signer, nonce, stuck_tx_hash, stuck_max_fee_per_gas, needed_max_fee_per_gas,
         cancel_max_fee_per_gas_ceiling, reason, since, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (signer) DO UPDATE SET nonce = excluded.nonce, stuck_tx_hash = excluded.stuck_tx_hash,
         stuck_max_fee_per_gas = excluded.stuck_max_fee_per_gas, needed_max_fee_per_gas = excluded.needed_max_fee_per_gas,
         cancel_max_fee_per_gas_ceiling = excluded.cancel_max_fee_per_gas_ceiling, reason = excluded.reason,
         since = excluded.since, updated_at = excluded.updated_at`,
      [
        key,
        block.nonce,
        block.stuckTxHash,
        block.stuckMaxFeePerGas.toString(),
        block.neededMaxFeePerGas.toString(),
        block.cancelMaxFeePerGasCeiling.toString(),
        block.reason,
        block.sinceMs,
        this.clock(),
      ],
    );
  }
}
