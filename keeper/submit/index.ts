/**
 * The keeper's submission layer: nonces (one writer per key), EIP-1559 fee policy, the Base raw
 * transaction path, the bundle relay path, and inclusion tracking, behind the `TxSender` interface.
 */
export type {
  TxSender,
  TxRequest,
  SubmissionMeta,
  SubmissionHooks,
  SubmissionResult,
  RejectionReason,
  PreparedTx,
  PreparedTxKind,
  SignedTx,
  BroadcastReport,
  EndpointSendAnswer,
  InclusionOutcome,
  MinedReceipt,
  NotIncluded,
  SubmissionAttempts,
} from "./types";
export {
  initialFees,
  bumpFees,
  bumpValue,
  replacementDecision,
  priorityFeeFromProfit,
  validateFeePolicy,
  FeeCapError,
  DEFAULT_FEE_POLICY,
  MIN_BUMP_BPS,
  type Eip1559Fees,
  type FeePolicyConfig,
  type ReplacementDecision,
  type PreviousTxKind,
} from "./fee-policy";
export { SignerKeyLock, SignerKeyLockedError, shortAddress, type LockHolder, type SignerKeyLockOptions } from "./signer-key-lock";
export { NonceManager, type NonceManagerOptions, type NonceSource } from "./nonce-manager";
export { classifySendError, isAccepted, type SendOutcome } from "./send-answer";
export {
  RawTxBroadcaster,
  BroadcastRejectedError,
  type RawTxBroadcasterOptions,
  type SendEndpointConfig,
  type ReceiptLookup,
} from "./raw-tx-broadcaster";
export {
  InclusionTracker,
  findInclusion,
  type ChainReader,
  type ReceiptLike,
  type InclusionTrackerOptions,
  type InclusionWait,
} from "./inclusion-tracker";
export {
  TransactionPreparer,
  FeesExhaustedError,
  latestBlockBaseFee,
  CANCEL_GAS_LIMIT,
  type TransactionPreparerOptions,
  type TransactionSigner,
  type BaseFeeSource,
} from "./transaction-preparer";
export { RawTxSender, type RawTxSenderOptions } from "./raw-tx-sender";
export {
  BundleSubmitter,
  RelayRequestError,
  type BundleSubmitterOptions,
  type BundleSimulation,
  type BundleCheck,
  type SimulateAndSendOutcome,
} from "./bundle-submitter";
export { BundleTxSender, BundleNotSentError, type BundleTxSenderOptions } from "./bundle-tx-sender";
