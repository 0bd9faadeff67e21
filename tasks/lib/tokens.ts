/**
 * Tokens the operator tasks name: by symbol from the network's address book (Base and mainnet from
 * keeper/config/networks.ts, a local sandbox from the book `npx hardhat sandbox --network localhost` wrote
 * to reports/), by address (symbol and decimals read from the chain), or ETH. The executor's
 * `rescueTokens` takes 0xEeee…EEeE for ETH, so ETH is a token here too.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, isHexString, type Provider } from "ethers";
import type { TokenInfo } from "../../keeper/config/address-book";
import { BASE_ADDRESS_BOOK, MAINNET_ADDRESS_BOOK } from "../../keeper/config/networks";
import { readSandboxAddressBook } from "../../sandbox/address-book-file";
import { TaskArgumentError, parseAddress, parseList } from "./args";
import { loadBindings } from "./bindings";

/** ChimeraExecutor.NATIVE_TOKEN: the pseudo-address rescueTokens takes for ETH. */
export const NATIVE_TOKEN_ADDRESS = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";

export interface OperatorToken {
  readonly symbol: string;
  readonly address: string;
  readonly decimals: number;
  readonly native: boolean;
}

export const ETH: OperatorToken = { symbol: "ETH", address: NATIVE_TOKEN_ADDRESS, decimals: 18, native: true };

export interface NetworkTokenBook {
  readonly tokens: readonly TokenInfo[];
  /** Where the list came from, for messages. */
  readonly source: string;
}

/** The address book's tokens for `networkName`; empty (with the reason) when the network has none. */
export function networkTokenBook(networkName: string, reportsDir: string): NetworkTokenBook {
  if (networkName === "base")
    return { tokens: Object.values(BASE_ADDRESS_BOOK.tokens), source: "the Base address book (keeper/config/networks.ts)" };
  if (networkName === "mainnet")
    return { tokens: Object.values(MAINNET_ADDRESS_BOOK.tokens), source: "the mainnet address book (keeper/config/networks.ts)" };
  const sandboxBook = path.join(reportsDir, `sandbox-${networkName}.json`);
  if (fs.existsSync(sandboxBook)) {
    return { tokens: Object.values(readSandboxAddressBook(sandboxBook).tokens), source: `the sandbox address book ${sandboxBook}` };
  }
  return {
    tokens: [],
    source:
      networkName === "localhost" || networkName === "hardhat"
        ? `no sandbox address book at ${sandboxBook} (\`npx hardhat sandbox --network ${networkName}\` writes it)`
        : `no address book for network "${networkName}"`,
  };
}

function isNative(text: string): boolean {
  return text.toUpperCase() === "ETH" || text.toLowerCase() === NATIVE_TOKEN_ADDRESS.toLowerCase();
}

/** Reads symbol and decimals of an ERC-20 at `address`, with errors that say what is wrong with it. */
export async function readErc20(provider: Provider, address: string, flag: string): Promise<OperatorToken> {
  const code = await provider.getCode(address);
  if (code === "0x") throw new TaskArgumentError(`${flag} ${address} is not a contract on this network, so it is no ERC-20 token`);
  const { IERC20Metadata__factory } = await loadBindings();
  const token = IERC20Metadata__factory.connect(address, provider);
  let decimals: number;
  try {
    decimals = Number(await token.decimals());
  } catch {
    throw new TaskArgumentError(`${flag} ${address} does not answer decimals(); it is not an ERC-20 token`);
  }
  let symbol: string;
  try {
    symbol = await token.symbol();
  } catch {
    symbol = address.slice(0, 10);
  }
  return { symbol, address: getAddress(address), decimals, native: false };
}

/** A token named by symbol (address book), address or "ETH". */
export async function resolveToken(provider: Provider, book: NetworkTokenBook, spec: string, flag = "--token"): Promise<OperatorToken> {
  const text = spec.trim();
  if (text === "") throw new TaskArgumentError(`${flag} is empty: expected a symbol (e.g. USDC), a token address, or ETH`);
  if (isNative(text)) return ETH;
  if (text.startsWith("0x") || text.startsWith("0X")) {
    const address = parseAddress(flag, text);
    const known = book.tokens.find((token) => token.address.toLowerCase() === address.toLowerCase());
    if (known !== undefined) return { symbol: known.symbol, address, decimals: known.decimals, native: false };
    return readErc20(provider, address, flag);
  }
  const matches = book.tokens.filter((token) => token.symbol.toLowerCase() === text.toLowerCase());
  const exact = matches.find((token) => token.symbol === text) ?? (matches.length === 1 ? matches[0] : undefined);
  if (exact === undefined) {
    const known = book.tokens.map((token) => token.symbol).join(", ");
    throw new TaskArgumentError(
      `${flag} "${text}" is not a known token on this network (${book.source}` +
        (known === "" ? "" : `; known symbols: ${known}, ETH`) +
        `); pass the token's address instead`,
    );
  }
  if (!isHexString(exact.address, 20)) throw new Error(`${book.source} lists ${exact.symbol} at an invalid address ${exact.address}`);
  return { symbol: exact.symbol, address: getAddress(exact.address), decimals: exact.decimals, native: false };
}

/**
 * Every token `withdraw --all`, `status` and `emergency` look at: ETH, the address book's tokens, and any
 * `--tokens a,b` (symbols or addresses), without duplicates.
 */
export async function tokensToScan(provider: Provider, book: NetworkTokenBook, extra: string | undefined): Promise<OperatorToken[]> {
  const tokens: OperatorToken[] = [ETH];
  const seen = new Set([NATIVE_TOKEN_ADDRESS.toLowerCase()]);
  const add = (token: OperatorToken) => {
    if (seen.has(token.address.toLowerCase())) return;
    seen.add(token.address.toLowerCase());
    tokens.push(token);
  };
  for (const token of book.tokens)
    add({ symbol: token.symbol, address: getAddress(token.address), decimals: token.decimals, native: false });
  for (const spec of parseList(extra)) add(await resolveToken(provider, book, spec, "--tokens"));
  return tokens;
}

export interface TokenBalance {
  readonly token: OperatorToken;
  readonly balance: bigint;
}

/** Balances `holder` has of each token (ETH from the account balance). */
export async function balancesOf(provider: Provider, holder: string, tokens: readonly OperatorToken[]): Promise<TokenBalance[]> {
  const { IERC20__factory } = await loadBindings();
  return Promise.all(
    tokens.map(async (token) => ({
      token,
      balance: token.native ? await provider.getBalance(holder) : await IERC20__factory.connect(token.address, provider).balanceOf(holder),
    })),
  );
}
