/**
 * Tells the operator about a blocked nonce (transaction-preparer.ts's NonceBlock) the moment it happens and when it
 * clears: a critical alert naming the nonce, the stuck transaction and the fee it would take, an error log line, and
 * two gauges — keeper_nonce_blocked (1 while blocked) and keeper_blocked_nonce (the nonce, -1 when none) — so a
 * dashboard shows WHICH nonce stops the keeper, not only that it stopped sending.
 */
import { Gauge, type Registry } from "prom-client";
import type { Alert } from "../alerts/alert";
import type { Logger } from "../telemetry/logger";
import type { NonceBlock } from "./transaction-preparer";

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
  const registers = [options.registry];
  const blocked = new Gauge({
    name: "keeper_nonce_blocked",
    help: "1 while a nonce of the key cannot be replaced within cancelMaxFeePerGasCeiling: nothing new is sent",
    registers,
  });
  const blockedNonce = new Gauge({ name: "keeper_blocked_nonce", help: "The blocked nonce of the key, -1 when none", registers });
  blocked.set(0);
  blockedNonce.set(-1);
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
