/**
 * Tells the operator about a blocked nonce (transaction-preparer.ts's NonceBlock) the moment it happens and when it
 * clears: a critical alert naming the nonce, the stuck transaction and the fee it would take, an error log line, and
 * two gauges — keeper_nonce_blocked (1 while blocked) and keeper_blocked_nonce (the nonce, -1 when none) — so a
 * dashboard shows WHICH nonce stops the keeper, not only that it stopped sending.
 */
import { Gauge, type Registry } from "prom-client";
import type { Alert } from "../alerts/alert";
import type { Logger } from "../telemetry/logger";
import type { NonceBlock, NonceBlockRecords } from "./transaction-preparer";

/** The alert key of "a nonce is blocked behind the cancel ceiling". */
export const NONCE_BLOCKED_ALERT_KEY = "nonce-blocked";

export interface NonceBlockAlerts {
  dispatch(alert: Alert): Promise<unknown>;
  resolve(key: string): Promise<unknown>;
}

export function nonceBlockReporter(options: {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly alerts?: NonceBlockAlerts | null;
}): (block: NonceBlock | null) => void {
  const { blocked, blockedNonce } = nonceBlockGauges(options.registry);
  return (block) => {
    if (block === null) {
      blocked.set(0);
      blockedNonce.set(-1);
      options.logger.info("the blocked nonce was mined: sending again");
      void options.alerts?.resolve(NONCE_BLOCKED_ALERT_KEY);
      return;
    }
    blocked.set(1);
    blockedNonce.set(block.nonce);
    const detail =
      `${block.reason}. Nothing new is sent until nonce ${block.nonce} is mined: every later transaction would queue behind it. ` +
      `Either wait for ${block.stuckTxHash ?? "the stuck transaction"} to land (it does once the base fee falls under its max fee), ` +
      `or raise limits.maxFeePerGasGwei (the cancel ceiling is twice it) so that the ceiling is at least ${block.neededMaxFeePerGas} wei/gas, and restart the keeper: it cancels the transaction then.`;
    options.logger.error({ nonce: block.nonce, stuckTx: block.stuckTxHash, neededMaxFeePerGas: String(block.neededMaxFeePerGas) }, detail);
    void options.alerts?.dispatch({
      key: NONCE_BLOCKED_ALERT_KEY,
      severity: "critical",
      title: `Nonce ${block.nonce} of ${block.address} is blocked: the keeper stopped sending`,
      detail,
      publicValues: block.stuckTxHash === null ? [] : [block.stuckTxHash],
    });
  };
}

/**
 * A standby's view of the key's blocked nonce: what the journal holds, as the leader recorded it. The standby's own
 * TransactionPreparer reads the journal only at start-up and when it takes over, so without this its
 * keeper_nonce_blocked would show the start-up state until a takeover — a dashboard wrong at the moment the operator
 * decides whether to fail over. Call it on each of the standby's ticks: it sets the same gauges the reporter does
 * (no alert: the leader raised it, and the standby raises its own when it takes over and adopts the block) and
 * returns the block. A journal that cannot be read leaves the gauges as they were and returns undefined.
 */
export function recordedNonceBlockFollower(options: {
  readonly registry: Registry;
  readonly records: Pick<NonceBlockRecords, "nonceBlock">;
  readonly signer: string;
  readonly logger: Logger;
}): () => NonceBlock | null | undefined {
  const { blocked, blockedNonce } = nonceBlockGauges(options.registry);
  let shown: number | null | undefined;
  return () => {
    let block: NonceBlock | null;
    try {
      block = options.records.nonceBlock(options.signer);
    } catch {
      return undefined;
    }
    const nonce = block?.nonce ?? null;
    blocked.set(block === null ? 0 : 1);
    blockedNonce.set(nonce ?? -1);
    if (shown !== undefined && nonce !== shown) {
      options.logger.info(
        { nonce },
        nonce === null ? "the leader's blocked nonce was mined (journal)" : `the leader recorded nonce ${nonce} as blocked (journal)`,
      );
    }
    shown = nonce;
    return block;
  };
}

/**
 * keeper_nonce_blocked and keeper_blocked_nonce, registered once per registry: the reporter (the key's own preparer)
 * and a standby's follower set the same two series.
 */
function nonceBlockGauges(registry: Registry): { readonly blocked: Gauge; readonly blockedNonce: Gauge } {
  const blocked = registry.getSingleMetric("keeper_nonce_blocked") as Gauge | undefined;
  const blockedNonce = registry.getSingleMetric("keeper_blocked_nonce") as Gauge | undefined;
  if (blocked !== undefined && blockedNonce !== undefined) return { blocked, blockedNonce };
  const registers = [registry];
  const created = {
    blocked: new Gauge({
      name: "keeper_nonce_blocked",
      help: "1 while a nonce of the key cannot be replaced within cancelMaxFeePerGasCeiling: nothing new is sent",
      registers,
    }),
    blockedNonce: new Gauge({ name: "keeper_blocked_nonce", help: "The blocked nonce of the key, -1 when none", registers }),
  };
  created.blocked.set(0);
  created.blockedNonce.set(-1);
  return created;
}
