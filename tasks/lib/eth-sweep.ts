/**
 * Emptying an account of ETH with one plain transfer. The value sent is the balance minus the most the
 * transfer can cost (gas limit × maxFeePerGas, plus the L1 data fee on an OP Stack chain such as Base),
 * so the transfer cannot fail for lack of funds, and what stays behind is only the unused part of that
 * reserve: (maxFeePerGas − the price actually paid) × gas, plus any L1 fee headroom. On Base, with a
 * base fee of the order of 0.005 gwei, that is of the order of 1e-13 ETH.
 */
import { Transaction, type Provider, type Signer } from "ethers";
import { nextFreeNonce, type NonceClaims } from "../../keeper/submit/nonce-manager";
import { formatAmount } from "./format";
import { l1DataFeeReserve } from "./op-stack-l1-fee";

/** Gas of a plain ETH transfer to an account without code (EIP-2718 type 2, no calldata). */
export const PLAIN_TRANSFER_GAS = 21_000n;

export interface SweepPlan {
  readonly from: string;
  readonly to: string;
  readonly chainId: bigint;
  readonly balance: bigint;
  /**
   * The sender's next free nonce: its `latest` transaction count, or one past the highest nonce an open
   * journal intent of the key holds, whichever is larger. Never the `pending` tag (Base has none since Denim).
   */
  readonly nonce: number;
  /** 21,000 to an account; the node's estimate when the recipient has code (a Safe's receive costs more). */
  readonly gasLimit: bigint;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** Upper bound of the L1 data fee (0 where the chain charges none). */
  readonly l1FeeReserve: bigint;
  /** gasLimit × maxFeePerGas + l1FeeReserve: the most the transfer can cost. */
  readonly feeReserve: bigint;
  /** balance − feeReserve; 0 when the balance does not cover the fee. */
  readonly value: bigint;
}

export interface SweepReceipt {
  readonly txHash: string;
  readonly blockNumber: number;
  readonly value: bigint;
  readonly gasUsed: bigint;
  /** gasUsed × the price paid (Base's L1 data fee is not in the receipt's fee; it shows in `leftOnKey`). */
  readonly fee: bigint;
  /** The sender's balance right after the sweep's block: the unused fee reserve. */
  readonly leftOnKey: bigint;
}

/**
 * Prices a sweep of `from`'s whole balance to `to` at the node's current fees. `claims` is the keeper's
 * journal when there is one: its open intents hold nonces the chain's `latest` count does not show yet.
 */
export async function planSweep(provider: Provider, from: string, to: string, claims?: NonceClaims): Promise<SweepPlan> {
  const [balance, nonce, feeData, network, recipientCode] = await Promise.all([
    provider.getBalance(from),
    nextFreeNonce(provider, claims, from),
    provider.getFeeData(),
    provider.getNetwork(),
    provider.getCode(to),
  ]);
  const { maxFeePerGas, maxPriorityFeePerGas } = feeData;
  if (maxFeePerGas === null || maxPriorityFeePerGas === null) {
    throw new Error("the node reports no EIP-1559 fee data (maxFeePerGas); cannot price the sweep, so nothing was swept");
  }
  const gasLimit = recipientCode === "0x" ? PLAIN_TRANSFER_GAS : await provider.estimateGas({ from, to, value: balance });
  // The L1 data fee depends on the serialised size; the full balance as value is the longest encoding the sweep can have.
  const unsigned = Transaction.from({
    type: 2,
    chainId: network.chainId,
    nonce,
    to,
    value: balance,
    gasLimit,
    maxFeePerGas,
    maxPriorityFeePerGas,
    data: "0x",
  }).unsignedSerialized;
  const l1FeeReserve = await l1DataFeeReserve(provider, unsigned);
  const feeReserve = gasLimit * maxFeePerGas + l1FeeReserve;
  return {
    from,
    to,
    chainId: network.chainId,
    balance,
    nonce,
    gasLimit,
    maxFeePerGas,
    maxPriorityFeePerGas,
    l1FeeReserve,
    feeReserve,
    value: balance > feeReserve ? balance - feeReserve : 0n,
  };
}

/** Sends the planned sweep with `signer` (which must be `plan.from`) and waits for its receipt. */
export async function sendSweep(signer: Signer, provider: Provider, plan: SweepPlan): Promise<SweepReceipt> {
  if (plan.value === 0n) throw new Error(`nothing to sweep from ${plan.from}: its balance does not cover the transfer's fee`);
  const response = await signer.sendTransaction({
    type: 2,
    chainId: plan.chainId,
    nonce: plan.nonce,
    to: plan.to,
    value: plan.value,
    gasLimit: plan.gasLimit,
    maxFeePerGas: plan.maxFeePerGas,
    maxPriorityFeePerGas: plan.maxPriorityFeePerGas,
  });
  const receipt = await response.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`the sweep transaction ${response.hash} failed`);
  return {
    txHash: response.hash,
    blockNumber: receipt.blockNumber,
    value: plan.value,
    gasUsed: receipt.gasUsed,
    fee: receipt.fee,
    leftOnKey: await provider.getBalance(plan.from, receipt.blockNumber),
  };
}

const eth = (wei: bigint) => formatAmount(wei, 18, "ETH");

/** The fee arithmetic of a plan, for the task's output. */
export function describeSweepPlan(plan: SweepPlan): string {
  const l1 = plan.l1FeeReserve === 0n ? "" : ` + L1 data fee ≤ ${plan.l1FeeReserve} wei`;
  return (
    `balance ${eth(plan.balance)}; fee reserve ${eth(plan.feeReserve)} ` +
    `(gas ${plan.gasLimit} × maxFeePerGas ${plan.maxFeePerGas} wei${l1}); sweep ${eth(plan.value)} (${plan.value} wei) to ${plan.to}`
  );
}

/** What someone holding the key does by hand, with the numbers at today's fees. */
export function manualSweepInstruction(plan: SweepPlan): string {
  if (plan.value === 0n)
    return `${plan.from} holds ${eth(plan.balance)}, less than a transfer's fee (${eth(plan.feeReserve)}): nothing worth sweeping.`;
  return (
    `From a wallet holding the key of ${plan.from}, send ${plan.value} wei (${eth(plan.value)}) to the treasury ${plan.to} ` +
    `as a plain transfer: gas limit ${plan.gasLimit}, maxFeePerGas ${plan.maxFeePerGas} wei, maxPriorityFeePerGas ${plan.maxPriorityFeePerGas} wei, ` +
    `no data. That is the balance ${plan.balance} wei minus the most the transfer can cost (${plan.feeReserve} wei) at the current fees; ` +
    `if fees rise before you send, lower the value by the increase × gas limit.`
  );
}
