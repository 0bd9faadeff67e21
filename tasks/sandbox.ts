/**
 * `npx hardhat sandbox [--network localhost] [--aave-borrowers N] [--morpho-borrowers N] [--seed S] [--out file]`
 * `npx hardhat sandbox:price --network localhost --symbol WETH (--usd 2500 | --change -10)`
 *
 * Builds the Base-like sandbox (sandbox/README.md) and prints its address book and one health line per market.
 * In-process (the default `hardhat` network) the sandbox lives only as long as the command: useful to see it work.
 * With `--network localhost` it builds into a running `npx hardhat node` (chainId 8453) and writes the address book
 * to reports/sandbox-localhost.json (or --out), where the keeper and other tasks load it with readSandboxAddressBook.
 */
import { task, types } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseAaveVersion } from "../sandbox/aave-versions";

export interface SandboxTaskArgs {
  /** "v3.6" (default, as Base runs it) or "v3.0.2". */
  readonly aaveVersion?: string;
  readonly aaveBorrowers: number;
  readonly morphoBorrowers: number;
  readonly seed: number;
  readonly out?: string;
}

/** Only chains we may freely rewrite: the in-process one and a local node. Base shares chainId 8453, so never by id. */
const SANDBOX_NETWORKS = new Set(["hardhat", "localhost"]);

function fail(message: string): never {
  throw new HardhatPluginError("chimera-sandbox", message);
}

/** Confirms a local node answers, is a Hardhat node (code/storage/balance overrides) and runs chainId 8453. */
async function checkNode(hre: HardhatRuntimeEnvironment): Promise<void> {
  const url = "url" in hre.network.config ? hre.network.config.url : "the in-process network";
  let chainId: string;
  try {
    chainId = (await hre.network.provider.send("eth_chainId", [])) as string;
  } catch (error) {
    fail(
      `no node answers at ${url} (${(error as Error).message}). Start one in another terminal with ` +
        "`npx hardhat node`, then re-run `npx hardhat sandbox --network localhost`.",
    );
  }
  if (Number(chainId) !== 8453) {
    fail(
      `the node at ${url} runs chainId ${Number(chainId)}, the sandbox needs 8453; start it from this project with \`npx hardhat node\``,
    );
  }
  const client = String(await hre.network.provider.send("web3_clientVersion", []));
  if (!/hardhat/i.test(client)) {
    fail(
      `the node at ${url} is "${client}", not a Hardhat node; the sandbox needs hardhat_setCode/setStorageAt (use \`npx hardhat node\`)`,
    );
  }
}

export async function runSandboxTask(args: SandboxTaskArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  if (!SANDBOX_NETWORKS.has(hre.network.name)) {
    fail(
      `refusing to build the sandbox on network "${hre.network.name}": it deploys test contracts and overwrites code at ` +
        "canonical addresses, so it only runs on the in-process network (no --network) or --network localhost",
    );
  }
  for (const [flag, value] of [
    ["--aave-borrowers", args.aaveBorrowers],
    ["--morpho-borrowers", args.morphoBorrowers],
    ["--seed", args.seed],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) fail(`${flag} must be a non-negative integer, got ${value}`);
  }
  let aaveVersion;
  try {
    aaveVersion = parseAaveVersion(args.aaveVersion ?? "v3.6");
  } catch (error) {
    fail(`--aave-version: ${(error as Error).message}`);
  }
  await checkNode(hre);
  await hre.run("compile", { quiet: true });

  // Loaded here, not at the top: the sandbox imports TypeChain bindings that exist only after compiling.
  const sandboxModule = await import("../sandbox");
  const started = Date.now();
  const sandbox = await sandboxModule.buildSandbox(hre, { seed: args.seed, aaveVersion });
  console.log(`Sandbox built on "${hre.network.name}" in ${((Date.now() - started) / 1000).toFixed(1)} s.`);

  if (args.aaveBorrowers > 0) {
    const opened = await sandboxModule.openAaveBorrowers(hre, sandbox, {
      count: args.aaveBorrowers,
      seed: args.seed,
      collateral: "WETH",
      debt: "USDC",
      healthFactor: { min: 1.02, max: 1.6 },
      debtUsd: { min: 1_000, max: 50_000 },
    });
    console.log(`Opened ${opened.length} Aave WETH/USDC borrowers (HF 1.02-1.6, debt $1k-$50k).`);
  }
  if (args.morphoBorrowers > 0) {
    const opened = await sandboxModule.openMorphoBorrowers(hre, sandbox, {
      market: 0,
      count: args.morphoBorrowers,
      seed: args.seed,
      healthFactor: { min: 1.02, max: 1.6 },
      debtUsd: { min: 1_000, max: 50_000 },
    });
    console.log(`Opened ${opened.length} Morpho ${sandbox.morpho.markets[0].label} borrowers (HF 1.02-1.6, debt $1k-$50k).`);
  }

  console.log("\nAddress book:");
  console.log(JSON.stringify(sandbox.book, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2));
  // Each protocol's version (Aave's pool revision read from the pool) first, then one health line per market.
  console.log("\nProtocols and markets:");
  for (const line of await sandboxModule.describeSandbox(sandbox)) console.log(`  ${line}`);

  if (hre.network.name === "hardhat") {
    console.log(
      "\nThis in-process sandbox ends with the command. To keep one running: `npx hardhat node`, then `npx hardhat sandbox --network localhost`.",
    );
    return;
  }
  const file = args.out ?? sandboxModule.sandboxAddressBookPath(hre.network.name, hre.config.paths.root);
  sandboxModule.writeSandboxAddressBook(file, sandbox.book);
  console.log(`\nAddress book written to ${file} (load it with readSandboxAddressBook from sandbox/).`);
  console.log(
    'Next: deploy the executor (README, "Locally, against the sandbox"), run `npx hardhat keeper --network localhost`, and move a price ' +
      "with `npx hardhat sandbox:price --network localhost --symbol WETH --change -10` to make borrowers liquidatable" +
      (args.aaveBorrowers + args.morphoBorrowers === 0 ? " (open some first: --aave-borrowers 50 --morpho-borrowers 20)." : "."),
  );
}

export interface SandboxPriceArgs {
  readonly symbol: string;
  readonly usd?: string;
  readonly change?: string;
  readonly addressBook?: string;
}

/**
 * Sets one sandbox asset's Chainlink price (Aave's oracle and the Morpho oracle double both read it) and
 * mines it in one block. Only the feed moves: the Uniswap pools keep their price, so selling the seized
 * collateral pays at least what the keeper's quote expects. Returns the old and new prices.
 */
export async function runSandboxPriceTask(
  args: SandboxPriceArgs,
  hre: HardhatRuntimeEnvironment,
): Promise<{ readonly feed: string; readonly beforeUsd: number; readonly afterUsd: number; readonly block: number }> {
  if (!SANDBOX_NETWORKS.has(hre.network.name)) {
    fail(
      `refusing to move a price on network "${hre.network.name}": sandbox:price only runs on --network localhost (or the in-process network)`,
    );
  }
  if ((args.usd === undefined) === (args.change === undefined))
    fail("give exactly one of --usd <price> or --change <percent> (e.g. --change -10)");
  const sandboxModule = await import("../sandbox");
  const bookFile = args.addressBook ?? sandboxModule.sandboxAddressBookPath(hre.network.name, hre.config.paths.root);
  const book = sandboxModule.readSandboxAddressBook(bookFile);
  const token = book.tokens[args.symbol];
  if (token === undefined) fail(`--symbol ${args.symbol} is not a sandbox token; expected one of ${Object.keys(book.tokens).join(", ")}`);
  if (book.aaveV3 === undefined) fail(`${bookFile} has no Aave V3 market, whose oracle names the price feeds`);
  const { AaveOracle__factory, MockV3Aggregator__factory } = await import("../typechain-types");
  const [signer] = await hre.ethers.getSigners();
  if (signer === undefined) fail(`network "${hre.network.name}" has no account to send the price update from`);
  const feedAddress = await AaveOracle__factory.connect(book.aaveV3.oracle, hre.ethers.provider).getSourceOfAsset(token.address);
  if ((await hre.ethers.provider.getCode(feedAddress)) === "0x") {
    fail(`the Aave oracle at ${book.aaveV3.oracle} names no feed contract for ${args.symbol}: is ${bookFile} this node's sandbox?`);
  }
  const feed = MockV3Aggregator__factory.connect(feedAddress, signer);
  const [decimals, round] = await Promise.all([feed.decimals(), feed.latestRoundData()]);
  const scale = 10 ** Number(decimals);
  const beforeUsd = Number(round.answer) / scale;
  const afterUsd = args.usd !== undefined ? parsePrice("--usd", args.usd) : beforeUsd * (1 + parsePercent(args.change!) / 100);
  if (!(afterUsd > 0)) fail(`the new price must be above 0, got ${afterUsd}`);
  const receipt = await (await feed.updateAnswer(BigInt(Math.round(afterUsd * scale)))).wait();
  const block = receipt?.blockNumber ?? (await hre.ethers.provider.getBlockNumber());
  console.log(
    `${args.symbol}: $${beforeUsd.toLocaleString("en-US")} → $${afterUsd.toLocaleString("en-US")} (feed ${feedAddress}), block ${block}. ` +
      "Positions whose health factor fell below 1 are liquidatable now: a keeper running on this node reacts in its next iteration.",
  );
  return { feed: feedAddress, beforeUsd, afterUsd, block };
}

function parsePrice(flag: string, value: string): number {
  const price = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(price > 0))
    fail(`${flag} "${value}" is not a price; expected a positive number of USD, e.g. 2500`);
  return price;
}

function parsePercent(value: string): number {
  const percent = Number(value.trim().replace(/%$/, ""));
  if (!/^[+-]?\d+(\.\d+)?%?$/.test(value.trim()) || percent <= -100) {
    fail(`--change "${value}" is not a percentage above -100; expected e.g. -10 (a 10% fall) or 5`);
  }
  return percent;
}

task(
  "sandbox",
  "Builds the Base-like sandbox (Aave V3, Uniswap V3, Balancer V2, Morpho Blue), prints each protocol's version and its address book",
)
  .addOptionalParam("aaveVersion", 'Aave market to deploy: "v3.6" (as Base runs it) or "v3.0.2"', "v3.6", types.string)
  .addOptionalParam("aaveBorrowers", "Aave WETH/USDC borrowers to open after building", 0, types.int)
  .addOptionalParam("morphoBorrowers", "Morpho WETH/USDC borrowers to open after building", 0, types.int)
  .addOptionalParam("seed", "Seed for the borrowers' amounts and addresses", 1, types.int)
  .addOptionalParam("out", "Where to write the address book JSON (default reports/sandbox-<network>.json)", undefined, types.string)
  .setAction(async (args: SandboxTaskArgs, hre) => runSandboxTask(args, hre));

task("sandbox:price", "Moves one sandbox price (its Chainlink feed) in one block, so a keeper on localhost sees liquidations")
  .addParam("symbol", "The sandbox token whose price moves: WETH, cbBTC, cbETH, USDC", undefined, types.string)
  .addOptionalParam("usd", "The new price in USD, e.g. 2500", undefined, types.string)
  .addOptionalParam("change", "Or: the change in percent, e.g. -10 for a 10% fall", undefined, types.string)
  .addOptionalParam("addressBook", "The sandbox address book (default reports/sandbox-<network>.json)", undefined, types.string)
  .setAction(async (args: SandboxPriceArgs, hre) => runSandboxPriceTask(args, hre));
