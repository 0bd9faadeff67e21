/**
 * Human-readable output for operator tasks: decoded calls, token amounts, revert reasons, and JSON with
 * bigints as strings.
 */
import { formatUnits, getAddress, type Interface, type Result } from "ethers";

function argumentText(value: unknown): string {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) return getAddress(value);
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(argumentText).join(", ")}]`;
  return String(value);
}

function namedArguments(names: readonly string[], values: Result | readonly unknown[]): string {
  return names.map((name, index) => `${name}=${argumentText(values[index])}`).join(", ");
}

/** `setOperator(operator=0x…, allowed=true)` for calldata of `iface`. */
export function decodeCall(iface: Interface, data: string): string {
  const parsed = iface.parseTransaction({ data });
  if (parsed === null) return `unknown call (selector ${data.slice(0, 10)})`;
  return `${parsed.name}(${namedArguments(
    parsed.fragment.inputs.map((input) => input.name),
    parsed.args,
  )})`;
}

/** `1.5 USDC` from base units. Trailing ".0" is dropped for whole amounts. */
export function formatAmount(amount: bigint, decimals: number, symbol: string): string {
  const text = formatUnits(amount, decimals);
  return `${text.endsWith(".0") ? text.slice(0, -2) : text} ${symbol}`;
}

/** The revert reason inside an ethers error, decoded with the executor's custom errors when possible. */
export function revertReason(iface: Interface, error: unknown): string {
  const candidate = error as {
    data?: unknown;
    error?: { data?: unknown };
    info?: { error?: { data?: unknown } };
    shortMessage?: string;
    message?: string;
  };
  const data = [candidate.data, candidate.error?.data, candidate.info?.error?.data].find(
    (value): value is string => typeof value === "string" && value.startsWith("0x") && value.length >= 10,
  );
  if (data !== undefined) {
    try {
      const parsed = iface.parseError(data);
      if (parsed !== null)
        return `${parsed.name}(${namedArguments(
          parsed.fragment.inputs.map((input) => input.name),
          parsed.args,
        )})`;
    } catch {
      // Not one of the executor's errors: fall through to the node's message.
    }
  }
  return candidate.shortMessage ?? candidate.message ?? String(error);
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner), 2);
}
