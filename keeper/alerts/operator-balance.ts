/**
 * The low-balance alert: an operator key that cannot pay gas silently stops liquidating, so the
 * keeper checks each operator's ETH balance against a floor. Below the floor is a warning (top up
 * soon); below half of it is critical (a few more transactions and the key is dry).
 */
import { formatEther } from "ethers";
import type { Alert } from "./alert";

export function operatorBalanceAlertKey(operator?: string): string {
  return `operator-balance-low:${(operator ?? "operator").toLowerCase()}`;
}

export function checkOperatorBalance(balanceWei: bigint, floorWei: bigint, operator?: string): Alert | null {
  if (floorWei < 0n) throw new Error(`operator balance floor must be >= 0 wei, got ${floorWei}`);
  if (balanceWei >= floorWei) return null;
  const who = operator ?? "the operator key";
  const critical = balanceWei * 2n < floorWei;
  return {
    key: operatorBalanceAlertKey(operator),
    severity: critical ? "critical" : "warning",
    title: `Operator balance low: ${formatEther(balanceWei)} ETH`,
    detail:
      `${who} holds ${formatEther(balanceWei)} ETH, below the ${formatEther(floorWei)} ETH floor` +
      (critical ? " and under half of it; it will soon be unable to pay gas" : "") +
      ". Top it up, or liquidations stop when it cannot pay gas.",
  };
}
