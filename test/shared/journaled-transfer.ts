/**
 * A real signed transaction and the journal's record of it, as the keeper leaves both just before a send: a
 * zero-risk self-transfer of `wallet` (1 wei and up, distinct per call), its execution planned, simulated, its
 * nonce claimed by an intent and the signed attempt recorded. For the tests and the benchmark that exercise
 * what happens around a send (the send fence, the next nonce, the lease changing hands) with a transaction
 * the chain will accept.
 */
import { Transaction, type Wallet } from "ethers";
import type { Address } from "../../keeper/core/types";
import type { Journal } from "../../keeper/journal/journal";
import { makePlan } from "../unit/keeper/journal/journal-fixtures";

export interface JournaledTransfer {
  readonly raw: string;
  readonly hash: string;
  readonly planId: string;
  readonly nonce: number;
}

/** Fees every such transfer bids: above any sandbox base fee, far below the caps. */
const MAX_FEE_PER_GAS = 10n ** 10n;
const MAX_PRIORITY_FEE_PER_GAS = 10n ** 9n;

/**
 * Signs a self-transfer of `value` wei at `nonce` with `wallet` (connected to the chain it is for) and, unless
 * `journal` is null, journals it as execution `planId`'s signed attempt.
 */
export async function journaledTransfer(
  journal: Journal | null,
  wallet: Wallet,
  options: { readonly nonce: number; readonly planId: string; readonly value: bigint },
): Promise<JournaledTransfer> {
  if (wallet.provider === null) throw new Error("journaledTransfer needs a wallet connected to the chain it signs for");
  const { nonce, planId } = options;
  const { chainId } = await wallet.provider.getNetwork();
  const raw = await wallet.signTransaction({
    to: wallet.address,
    value: options.value,
    nonce,
    chainId,
    gasLimit: 21_000n,
    maxFeePerGas: MAX_FEE_PER_GAS,
    maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
    type: 2,
  });
  const hash = Transaction.from(raw).hash!;
  if (journal !== null) {
    const signer = wallet.address as Address;
    const fees = { maxFeePerGas: MAX_FEE_PER_GAS, maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS };
    journal.planExecution(makePlan({ id: planId }), { mode: "LIVE" });
    journal.markSimulated(planId);
    journal.recordIntent(planId, { signer, nonce, ...fees });
    journal.markSigned(planId, { txHash: hash, signer, nonce, ...fees, gasLimit: 21_000n });
  }
  return { raw, hash, planId, nonce };
}
