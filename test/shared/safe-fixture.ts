/**
 * A genuine Safe in the sandbox, built from @safe-global/safe-smart-account's own artifacts (Safe singleton,
 * SafeProxyFactory, MultiSendCallOnly), and the two things its owners do with a Transaction Builder batch:
 * turn it into one Safe transaction (a lone call, or a MultiSendCallOnly delegatecall for several), and
 * execute it with real owner signatures (EIP-712 over the Safe's own getTransactionHash).
 *
 * Nothing here is a test double: the point is that a batch the tasks write produces the intended state change
 * when the Safe contract itself checks the signatures and runs it.
 */
import { Contract, ContractFactory, TypedDataEncoder, ZeroAddress, getAddress, solidityPacked, type Signer } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import MultiSendCallOnlyArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json";
import { Safe__factory, SafeProxyFactory__factory, type Safe } from "../../typechain-types";
import type { SafeBatchFile } from "../../tasks/lib/safe-batch";

export const CALL = 0;
export const DELEGATE_CALL = 1;

export interface GenuineSafe {
  readonly safe: Safe;
  readonly address: string;
  readonly owners: readonly HardhatEthersSigner[];
  readonly threshold: number;
  /** MultiSendCallOnly: executes a packed list of CALLs when the Safe delegatecalls it. */
  readonly multiSendCallOnly: Contract;
}

export interface SafeCall {
  readonly to: string;
  readonly value: bigint;
  readonly data: string;
  readonly operation: typeof CALL | typeof DELEGATE_CALL;
}

/** Deploys the singleton, the proxy factory and MultiSendCallOnly, then a Safe proxy with `owners` and `threshold`. */
export async function deploySafe(
  deployer: HardhatEthersSigner,
  owners: readonly HardhatEthersSigner[],
  threshold: number,
): Promise<GenuineSafe> {
  const singleton = await new Safe__factory(deployer).deploy();
  await singleton.waitForDeployment();
  const factory = await new SafeProxyFactory__factory(deployer).deploy();
  await factory.waitForDeployment();
  const setup = singleton.interface.encodeFunctionData("setup", [
    owners.map((owner) => owner.address),
    threshold,
    ZeroAddress, // no delegatecall during setup
    "0x",
    ZeroAddress, // no fallback handler: the tests only execute transactions
    ZeroAddress,
    0,
    ZeroAddress,
  ]);
  const receipt = await (await factory.createProxyWithNonce(await singleton.getAddress(), setup, 1n)).wait();
  const creation = receipt!.logs
    .map((log) => {
      try {
        return factory.interface.parseLog(log);
      } catch {
        return null;
      }
    })
    .find((parsed) => parsed?.name === "ProxyCreation");
  if (creation === undefined || creation === null) throw new Error("SafeProxyFactory emitted no ProxyCreation event");
  const address = getAddress(creation.args.proxy as string);
  const multiSendFactory = new ContractFactory(MultiSendCallOnlyArtifact.abi, MultiSendCallOnlyArtifact.bytecode, deployer);
  const multiSendCallOnly = (await multiSendFactory.deploy()) as Contract;
  await multiSendCallOnly.waitForDeployment();
  return { safe: Safe__factory.connect(address, deployer), address, owners, threshold, multiSendCallOnly };
}

/** MultiSend's packed encoding: per call operation (uint8), to, value, data length (uint256), data. */
export function encodeMultiSend(calls: ReadonlyArray<{ to: string; value: bigint; data: string }>): string {
  const packed = calls.map((call) =>
    solidityPacked(["uint8", "address", "uint256", "uint256", "bytes"], [CALL, call.to, call.value, (call.data.length - 2) / 2, call.data]),
  );
  return `0x${packed.map((part) => part.slice(2)).join("")}`;
}

/** The Safe transaction a batch becomes: its single call as is, or all calls through MultiSendCallOnly. */
export function safeCallForBatch(batch: SafeBatchFile, multiSendCallOnly: string): SafeCall {
  const calls = batch.transactions.map((tx) => {
    if (tx.data === null) throw new Error("the tasks always write calldata into batch transactions");
    return { to: tx.to, value: BigInt(tx.value), data: tx.data };
  });
  if (calls.length === 1) return { ...calls[0], operation: CALL };
  const data = new Contract(multiSendCallOnly, MultiSendCallOnlyArtifact.abi).interface.encodeFunctionData("multiSend", [
    encodeMultiSend(calls),
  ]);
  return { to: multiSendCallOnly, value: 0n, data, operation: DELEGATE_CALL };
}

const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

/**
 * Owner signatures for `call` at the Safe's current nonce: EIP-712 signatures (v = 27/28), concatenated in
 * ascending signer address order as Safe.checkSignatures requires. Checks first that the EIP-712 digest is the
 * one the Safe itself computes, so a signing mistake fails here rather than as an opaque GS026.
 */
export async function signSafeCall(genuine: GenuineSafe, signers: readonly Signer[], call: SafeCall): Promise<string> {
  const { safe } = genuine;
  const nonce = await safe.nonce();
  const chainId = (await safe.runner!.provider!.getNetwork()).chainId;
  const domain = { chainId, verifyingContract: genuine.address };
  const message = {
    to: call.to,
    value: call.value,
    data: call.data,
    operation: call.operation,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: ZeroAddress,
    refundReceiver: ZeroAddress,
    nonce,
  };
  const expected = await safe.getTransactionHash(
    call.to,
    call.value,
    call.data,
    call.operation,
    0n,
    0n,
    0n,
    ZeroAddress,
    ZeroAddress,
    nonce,
  );
  if (TypedDataEncoder.hash(domain, SAFE_TX_TYPES, message) !== expected)
    throw new Error("EIP-712 digest differs from Safe.getTransactionHash");
  const signed = await Promise.all(
    signers.map(async (signer) => ({
      address: getAddress(await signer.getAddress()),
      signature: await signer.signTypedData(domain, SAFE_TX_TYPES, message),
    })),
  );
  signed.sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  return `0x${signed.map((entry) => entry.signature.slice(2)).join("")}`;
}

/** Signs `call` with `signers` and has `submitter` execute it through Safe.execTransaction. */
export async function execSafeCall(genuine: GenuineSafe, signers: readonly Signer[], call: SafeCall, submitter: Signer) {
  const signatures = await signSafeCall(genuine, signers, call);
  const tx = await genuine.safe
    .connect(submitter)
    .execTransaction(call.to, call.value, call.data, call.operation, 0n, 0n, 0n, ZeroAddress, ZeroAddress, signatures);
  return tx.wait();
}

/** The whole owner flow for a batch file: build the Safe transaction, sign with `signers`, execute. */
export async function executeBatch(genuine: GenuineSafe, batch: SafeBatchFile, signers: readonly Signer[], submitter: Signer) {
  return execSafeCall(genuine, signers, safeCallForBatch(batch, await genuine.multiSendCallOnly.getAddress()), submitter);
}
