/**
 * Safe Transaction Builder batch files: the JSON that Safe{Wallet} → Apps → Transaction Builder imports
 * (drag the file onto it), reviews, and turns into one Safe transaction for the owners to sign.
 *
 * Format facts, read from the tx-builder app's source (safe-global/safe-react-apps, apps/tx-builder):
 * - `{ version: "1.0", chainId: "<string>", createdAt: <ms>, meta: { name, description, txBuilderVersion,
 *   createdFromSafeAddress, createdFromOwnerAddress, checksum }, transactions: [...] }`.
 * - On import the app rejects a batch whose `value`s are not strings or whose `contractInputsValues` hold
 *   numbers; the checksum is checked too, but a mismatch or a missing checksum only shows a "modified since
 *   generated" warning. We write a correct checksum so the import is clean.
 * - A transaction with `data` is executed with exactly that calldata; `contractMethod` and
 *   `contractInputsValues` are only used to encode calldata when `data` is empty. We write both: the exact
 *   calldata (what executes) and the decoded method and values (what reviewers read).
 * - The checksum is keccak256 over a canonical serialisation of the whole file WITHOUT `meta.checksum`:
 *   object keys sorted, each object written as `{<JSON array of its sorted keys><value>,<value>,...}`,
 *   arrays as `[a,b]`, scalars as JSON with `undefined` as null. `txBuilderChecksum` implements that rule.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, id as keccakUtf8, type Interface, type JsonFragment, type JsonFragmentType } from "ethers";

/** The tx-builder release whose file format this mirrors; the importer does not read it. */
export const TX_BUILDER_VERSION = "1.18.0";

export interface SafeBatchInput {
  readonly internalType?: string;
  readonly name: string;
  readonly type: string;
  readonly components?: readonly SafeBatchInput[];
}

export interface SafeBatchTransaction {
  readonly to: string;
  /** Wei, as a decimal string (the importer refuses numbers). */
  readonly value: string;
  readonly data: string | null;
  readonly contractMethod: { readonly inputs: readonly SafeBatchInput[]; readonly name: string; readonly payable: boolean } | null;
  readonly contractInputsValues: Readonly<Record<string, string>> | null;
}

export interface SafeBatchFile {
  readonly version: "1.0";
  readonly chainId: string;
  readonly createdAt: number;
  readonly meta: {
    readonly name: string;
    readonly description: string;
    readonly txBuilderVersion: string;
    readonly createdFromSafeAddress: string;
    readonly createdFromOwnerAddress: string;
    readonly checksum?: string;
  };
  readonly transactions: readonly SafeBatchTransaction[];
}

/** One contract call to put in a batch. */
export interface BatchCall {
  readonly to: string;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly value?: bigint;
}

/* ───────────────────────────── checksum ───────────────────────────── */

function jsonScalar(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value) ?? "null";
}

/** The tx-builder's canonical serialisation (see the module comment for the rule). */
export function canonicalBatchSerialisation(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalBatchSerialisation).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${JSON.stringify(keys)}${keys.map((key) => `${canonicalBatchSerialisation(record[key])},`).join("")}}`;
  }
  return jsonScalar(value);
}

/** The checksum the tx-builder expects in meta.checksum: computed over the file without that field. */
export function txBuilderChecksum(batch: SafeBatchFile): string {
  const { checksum: _ignored, ...meta } = batch.meta;
  return keccakUtf8(canonicalBatchSerialisation({ ...batch, meta }));
}

/* ───────────────────────────── building ───────────────────────────── */

function toInput(fragment: JsonFragmentType): SafeBatchInput {
  return {
    internalType: fragment.internalType ?? fragment.type ?? "",
    name: fragment.name ?? "",
    type: fragment.type ?? "",
    ...(fragment.components === undefined ? {} : { components: fragment.components.map(toInput) }),
  };
}

/** An argument as JSON-able data: integers as decimal strings, addresses checksummed, arrays element by element. */
function jsonArgument(value: unknown): unknown {
  if (typeof value === "bigint" || typeof value === "number") return value.toString();
  if (typeof value === "string") return /^0x[0-9a-fA-F]{40}$/.test(value) ? getAddress(value) : value;
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(jsonArgument);
  throw new Error(`cannot write ${String(value)} as a Transaction Builder input value`);
}

/** How the tx-builder UI writes an argument: a string, with JSON for arrays (the importer refuses numbers). */
function inputValueText(value: unknown): string {
  const data = jsonArgument(value);
  return typeof data === "string" ? data : JSON.stringify(data);
}

/** A batch transaction for `call`, with the calldata encoded by `iface` and the method described from `abi`. */
export function batchTransaction(iface: Interface, abi: readonly JsonFragment[], call: BatchCall): SafeBatchTransaction {
  const fragment = abi.find(
    (item) => item.type === "function" && item.name === call.method && (item.inputs?.length ?? 0) === call.args.length,
  );
  if (fragment === undefined) throw new Error(`the contract ABI has no function ${call.method} taking ${call.args.length} argument(s)`);
  const inputs = (fragment.inputs ?? []).map(toInput);
  const values: Record<string, string> = {};
  inputs.forEach((input, index) => {
    values[input.name] = inputValueText(call.args[index]);
  });
  return {
    to: getAddress(call.to),
    value: (call.value ?? 0n).toString(),
    data: iface.encodeFunctionData(call.method, [...call.args]),
    contractMethod: { inputs, name: call.method, payable: fragment.stateMutability === "payable" },
    contractInputsValues: values,
  };
}

export function buildSafeBatch(options: {
  readonly chainId: number;
  readonly safe: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: number;
  readonly transactions: readonly SafeBatchTransaction[];
}): SafeBatchFile {
  if (options.transactions.length === 0) throw new Error("a Safe batch needs at least one transaction");
  const unsigned: SafeBatchFile = {
    version: "1.0",
    chainId: String(options.chainId),
    createdAt: options.createdAt,
    meta: {
      name: options.name,
      description: options.description,
      txBuilderVersion: TX_BUILDER_VERSION,
      createdFromSafeAddress: getAddress(options.safe),
      createdFromOwnerAddress: "",
    },
    transactions: options.transactions,
  };
  // Checksum what the importer will parse: the JSON round trip drops nothing we write, but guarantees it.
  const asImported = JSON.parse(JSON.stringify(unsigned)) as SafeBatchFile;
  return { ...unsigned, meta: { ...unsigned.meta, checksum: txBuilderChecksum(asImported) } };
}

/**
 * Writes `batch` to `<reportsDir>/safe/<task>-<chainId>-<createdAt>.json` and returns the path. A file of
 * the same name (two batches in one millisecond) gets a numeric suffix rather than being overwritten.
 * Characters a file name cannot hold everywhere (the ":" of `keeper:rotate-key` on Windows) become "-".
 */
export function writeSafeBatch(reportsDir: string, taskName: string, batch: SafeBatchFile): string {
  const directory = path.join(reportsDir, "safe");
  fs.mkdirSync(directory, { recursive: true });
  const stem = `${taskName.replace(/[^A-Za-z0-9._-]/g, "-")}-${batch.chainId}-${batch.createdAt}`;
  let file = path.join(directory, `${stem}.json`);
  for (let n = 2; fs.existsSync(file); n += 1) file = path.join(directory, `${stem}-${n}.json`);
  fs.writeFileSync(file, `${JSON.stringify(batch, null, 2)}\n`, { flag: "wx" });
  return file;
}

/** What the owners do with the file, step by step. */
export function safeImportInstructions(file: string, safe: string, chainId: number, signaturesNeeded?: number): string {
  return [
    `Import it into the Safe ${safe} (chain ${chainId}):`,
    `  1. Open Safe{Wallet} on that Safe → Apps → Transaction Builder.`,
    `  2. Drag ${file} onto "Drag and drop a JSON file" (or choose it), check each call shown against the list above.`,
    `  3. Create batch → Send batch; the Safe proposes ONE transaction.`,
    `  4. ${signaturesNeeded === undefined ? "Enough owners" : `${signaturesNeeded} owner(s)`} sign it in Safe{Wallet}, then one executes it.`,
  ].join("\n");
}
