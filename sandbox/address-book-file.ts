/**
 * Saves a sandbox's AddressBook as JSON (written by `npx hardhat sandbox --network localhost`) and loads it back,
 * validated, so the keeper and other tasks can attach to a sandbox that a separate `npx hardhat node` is running.
 * JSON has no bigint: Morpho's `lltv` is written as a decimal string and parsed back.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { AddressBook } from "../keeper/config/address-book";

/** Where the `sandbox` task writes the book for a network other than the in-process one. */
export function sandboxAddressBookPath(networkName: string, root: string = process.cwd()): string {
  return path.join(root, "reports", `sandbox-${networkName}.json`);
}

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte hex address") as unknown as z.ZodType<`0x${string}`>;
const uint = z.number().int().nonnegative();

const addressBookSchema = z.object({
  network: z.string().min(1),
  chainId: uint,
  multicall3: address,
  weth: address,
  tokens: z.record(z.object({ symbol: z.string().min(1), address, decimals: uint.max(36) })),
  aaveV3: z
    .object({
      label: z.string(),
      addressesProvider: address,
      pool: address,
      oracle: address,
      dataProvider: address,
      liquidationRules: z.enum(["v3.0", "v3.3"]),
      deployBlock: uint,
    })
    .optional(),
  morphoBlue: z
    .object({
      morpho: address,
      markets: z.array(
        z.object({
          label: z.string(),
          loanToken: address,
          collateralToken: address,
          oracle: address,
          irm: address,
          lltv: z
            .string()
            .regex(/^\d+$/, "expected the LLTV as a decimal integer string (18 decimals)")
            .transform((v) => BigInt(v)),
        }),
      ),
      deployBlock: uint,
    })
    .optional(),
  moonwell: z
    .object({ label: z.string(), comptroller: address, oracle: address, markets: z.record(address), deployBlock: uint })
    .optional(),
  uniswapV3: z.object({ factory: address, swapRouter02: address, quoterV2: address }).optional(),
  flash: z.object({
    balancerVault: address.optional(),
    morphoBlue: address.optional(),
    aaveV3Pool: address.optional(),
    uniswapV3Pools: z.record(address).optional(),
  }),
  chainlink: z.object({ ethUsd: address.optional(), sequencerUptime: address.optional() }),
});

/** Writes `book` to `file` (creating its folder), bigints as decimal strings. */
export function writeSandboxAddressBook(file: string, book: AddressBook): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const json = JSON.stringify(book, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2);
  fs.writeFileSync(file, `${json}\n`);
}

/** Reads and validates a book written by writeSandboxAddressBook; errors name the file and the offending field. */
export function readSandboxAddressBook(file: string): AddressBook {
  if (!fs.existsSync(file)) {
    throw new Error(
      `no sandbox address book at ${file}: start \`npx hardhat node\`, then run \`npx hardhat sandbox --network localhost\` to build one`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`sandbox address book ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = addressBookSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`sandbox address book ${file} is invalid: ${issues.join("; ")}`);
  }
  return parsed.data as AddressBook;
}
