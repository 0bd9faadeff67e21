/**
 * Turns a failed eth_call / eth_estimateGas into something a person (and the journal) can read:
 * the executor's custom errors through its TypeChain interface (InsufficientProfit(profit, minProfit),
 * TargetNotAllowed(target), ...), the protocols' own custom errors where their market declares them (Aave v3.4+'s
 * HealthFactorNotBelowThreshold(), ...), Error(string) reverts (Aave v3.0's numeric codes, Uniswap's "Too little
 * received"), and Panic codes. Anything else is reported as a transport error,
 * which is not a revert: the plan was not proven bad, the RPC failed.
 */
import { AbiCoder, dataSlice, isHexString, type Interface } from "ethers";
import { ChimeraExecutor__factory } from "../../typechain-types";
import { errorMessage } from "../core/error-message";

export type DecodedFailure =
  | {
      readonly kind: "revert";
      /** The error's name: an executor custom error, "Error" (string reason), "Panic", or "unknown". */
      readonly name: string;
      readonly args: readonly unknown[];
      /** e.g. `InsufficientProfit(1200, 115792089…)` or `Error("45")`. */
      readonly summary: string;
      readonly data: string;
    }
  | { readonly kind: "transport"; readonly summary: string };

const executorInterface = ChimeraExecutor__factory.createInterface();
const ERROR_STRING_SELECTOR = "0x08c379a0";
const PANIC_SELECTOR = "0x4e487b71";

/** Finds the revert data an ethers / Hardhat / JSON-RPC error carries, wherever the layer put it. */
export function revertDataOf(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): string | undefined => {
    if (value === null || typeof value !== "object" || depth > 6 || seen.has(value)) return undefined;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const data = record.data;
    if (typeof data === "string" && isHexString(data) && data.length >= 10) return data;
    if (data !== null && typeof data === "object") {
      const nested = (data as Record<string, unknown>).data;
      if (typeof nested === "string" && isHexString(nested) && nested.length >= 10) return nested;
    }
    for (const key of ["error", "info", "cause", "revert", "payload"]) {
      const found = visit(record[key], depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(error, 0);
}

/**
 * Decodes raw revert data (selector + arguments). `protocolErrors`: the custom errors the markets' contracts declare
 * (LendingMarket.revertErrors), tried after the executor's own, so a liquidation the protocol refused reads
 * `HealthFactorNotBelowThreshold()` instead of a bare selector.
 */
export function decodeRevertData(data: string, protocolErrors: readonly Interface[] = []): Extract<DecodedFailure, { kind: "revert" }> {
  const selector = dataSlice(data, 0, 4).toLowerCase();
  const body = dataSlice(data, 4);
  if (selector === ERROR_STRING_SELECTOR) {
    const [reason] = AbiCoder.defaultAbiCoder().decode(["string"], body);
    return { kind: "revert", name: "Error", args: [reason], summary: `Error(${JSON.stringify(reason)})`, data };
  }
  if (selector === PANIC_SELECTOR) {
    const [code] = AbiCoder.defaultAbiCoder().decode(["uint256"], body);
    return { kind: "revert", name: "Panic", args: [code], summary: `Panic(0x${(code as bigint).toString(16)})`, data };
  }
  for (const errors of [executorInterface, ...protocolErrors]) {
    try {
      const parsed = errors.parseError(data);
      if (parsed !== null) {
        const args = [...parsed.args];
        return { kind: "revert", name: parsed.name, args, summary: `${parsed.name}(${args.map(String).join(", ")})`, data };
      }
    } catch {
      // the selector is declared here but its arguments do not decode: try the next declaration
    }
  }
  return {
    kind: "revert",
    name: "unknown",
    args: [],
    summary: `unknown error ${selector} (${(data.length - 10) / 2} bytes of arguments)`,
    data,
  };
}

/** Classifies an error thrown by a simulation call (`protocolErrors` as for decodeRevertData). */
export function decodeSimulationError(error: unknown, protocolErrors: readonly Interface[] = []): DecodedFailure {
  const data = revertDataOf(error);
  if (data !== undefined) return decodeRevertData(data, protocolErrors);
  const message = errorMessage(error);
  // Reverts without data (a bare `revert()`, or a node that drops the data) still say so.
  if (/revert|CALL_EXCEPTION|execution reverted/i.test(message)) {
    return { kind: "revert", name: "unknown", args: [], summary: `reverted without data: ${firstLine(message)}`, data: "0x" };
  }
  return { kind: "transport", summary: firstLine(message) };
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
