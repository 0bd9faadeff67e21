/**
 * Validation of operator task arguments beyond Hardhat's string/int/float types. Every error names the
 * flag, echoes the value and says what is expected, so an operator can fix the command line without
 * reading code.
 */
import { ZeroAddress, getAddress, isHexString, parseUnits } from "ethers";

export class TaskArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TaskArgumentError";
  }
}

/**
 * A valid, checksummed address. All-lowercase (or all-uppercase) hex is accepted and checksummed;
 * mixed case must carry a correct EIP-55 checksum, because a wrong one usually means a typo.
 */
export function parseAddress(flag: string, value: string | undefined, options: { allowZero?: boolean } = {}): string {
  if (value === undefined || value.trim() === "") {
    throw new TaskArgumentError(`${flag} is required: expected a 0x-prefixed 20-byte address`);
  }
  const text = value.trim();
  if (!isHexString(text, 20)) {
    throw new TaskArgumentError(`${flag} "${text}" is not an address: expected 0x followed by 40 hex digits`);
  }
  let checksummed: string;
  try {
    checksummed = getAddress(text);
  } catch {
    throw new TaskArgumentError(
      `${flag} "${text}" has an invalid EIP-55 checksum (mixed case that does not match); re-copy the address, or write it all in lowercase`,
    );
  }
  if (!options.allowZero && checksummed === ZeroAddress) {
    throw new TaskArgumentError(`${flag} is the zero address; expected a real account or contract`);
  }
  return checksummed;
}

/** A comma-separated list of items (empty entries dropped); undefined or blank gives []. */
export function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** A comma-separated list of addresses, each validated and checksummed, duplicates removed. */
export function parseAddressList(flag: string, value: string | undefined): string[] {
  const addresses = parseList(value).map((item) => parseAddress(flag, item));
  return [...new Set(addresses)];
}

/**
 * A human amount ("1.5", "2500", "0.000001") in whole tokens, converted to base units with the token's
 * decimals. Must be > 0 and must not have more fractional digits than the token supports.
 */
export function parseTokenAmount(flag: string, value: string | undefined, decimals: number, symbol: string): bigint {
  if (value === undefined || value.trim() === "") {
    throw new TaskArgumentError(`${flag} is required: an amount of ${symbol} in whole tokens, decimals allowed (e.g. 1.5)`);
  }
  const text = value.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new TaskArgumentError(
      `${flag} "${text}" is not an amount: expected a positive decimal number of ${symbol} such as 1.5 or 2500 (no sign, exponent or thousands separator)`,
    );
  }
  const fraction = text.includes(".") ? text.split(".")[1] : "";
  if (fraction.length > decimals) {
    throw new TaskArgumentError(
      `${flag} "${text}" has ${fraction.length} decimal places but ${symbol} has only ${decimals}; round it to at most ${decimals}`,
    );
  }
  const amount = parseUnits(text, decimals);
  if (amount <= 0n) throw new TaskArgumentError(`${flag} must be greater than zero, got "${text}" ${symbol}`);
  return amount;
}

/** A non-negative ETH amount such as "0.01" (for thresholds), in wei. */
export function parseEthThreshold(flag: string, value: string): bigint {
  const text = value.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new TaskArgumentError(`${flag} "${text}" is not an ETH amount: expected a non-negative decimal such as 0.01`);
  }
  if ((text.split(".")[1] ?? "").length > 18) throw new TaskArgumentError(`${flag} "${text}" has more than 18 decimal places`);
  return parseUnits(text, 18);
}

/** A block number argument (>= 0). */
export function parseBlockNumber(flag: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TaskArgumentError(`${flag} ${value} is not a block number; expected an integer >= 0`);
  return value;
}
