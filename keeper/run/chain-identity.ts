/**
 * A chain id says little: a local node runs 8453 like Base, and so may another chain's fork. Before the
 * keeper builds anything on an address book, it checks that the endpoint holds code at the book's core
 * contracts (Multicall3 and each enabled protocol's entry point). Without this, the first symptom of
 * "BASE_RPC_URL points at a local node" is a multicall decoding error from deep inside a market.
 */
import type { AddressBook } from "../config/address-book";

export interface CodeReader {
  getCode(address: string): Promise<string>;
}

/** The contracts every run of this book needs, by name. */
export function coreContracts(book: AddressBook): { readonly name: string; readonly address: string }[] {
  const contracts = [{ name: "Multicall3", address: book.multicall3 }];
  if (book.aaveV3 !== undefined) contracts.push({ name: `${book.aaveV3.label} Pool`, address: book.aaveV3.pool });
  if (book.morphoBlue !== undefined) contracts.push({ name: "Morpho Blue", address: book.morphoBlue.morpho });
  if (book.moonwell !== undefined) contracts.push({ name: "Moonwell Comptroller", address: book.moonwell.comptroller });
  return contracts;
}

/**
 * Throws, naming every missing contract and the endpoint, when the chain behind `endpoint` does not hold
 * the book's core contracts.
 */
export async function checkChainHoldsBook(reader: CodeReader, book: AddressBook, endpoint: string, sandbox = false): Promise<void> {
  const contracts = coreContracts(book);
  const codes = await Promise.all(contracts.map((contract) => reader.getCode(contract.address)));
  const missing = contracts.filter((_, index) => codes[index] === "0x" || codes[index] === "");
  if (missing.length === 0) return;
  const where = `${missing.map((contract) => `${contract.name} ${contract.address}`).join(", ")}`;
  if (sandbox) {
    throw new Error(
      `${endpoint} holds no code at ${where} of the sandbox address book: the node was restarted or never got the sandbox. ` +
        `Build it with \`npx hardhat sandbox --network localhost\` (then redeploy the executor), or pass the right --address-book.`,
    );
  }
  throw new Error(
    `${endpoint} answers chain id ${book.chainId}, but it is not ${book.network}: there is no code at ` +
      `${where} of the ${book.network} address book. ` +
      `A local node (npx hardhat node) also runs chain id 8453: use --network localhost for it, and point the ` +
      `${book.network} URL variable at a ${book.network} endpoint.`,
  );
}
