/**
 * `npx hardhat sandbox:price`: the README's way to make something liquidatable on a local node. On the
 * sandbox (genuine Aave V3 reading the sandbox's Chainlink feeds), a 10% WETH fall through the task puts a
 * borrower opened at health factor 1.05 under 1 in one block, as Aave itself reports; bad input is named.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { buildSandbox, type Sandbox } from "../../../sandbox";
import { writeSandboxAddressBook } from "../../../sandbox/address-book-file";
import { AaveOracle__factory, Pool__factory } from "../../../typechain-types";
import { snapshotChain } from "../../shared/local-node";
import { openWethUsdcBorrower } from "../../shared/one-aave-borrower";

describe("task: sandbox:price", function () {
  this.timeout(300_000);
  let restore: () => Promise<void>;
  let sandbox: Sandbox;
  let bookFile: string;
  let directory: string;

  before(async () => {
    restore = await snapshotChain();
    sandbox = await buildSandbox(hre);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-price-"));
    bookFile = path.join(directory, "book.json");
    writeSandboxAddressBook(bookFile, sandbox.book);
  });

  after(async () => {
    await restore?.();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it("moves the feed Aave reads in one block: a borrower at health factor 1.05 becomes liquidatable after a 10% fall", async () => {
    const borrower = await openWethUsdcBorrower(hre, sandbox, { seed: 3, healthFactor: 1.05, debtUsd: 5_000 });
    const pool = Pool__factory.connect(sandbox.book.aaveV3!.pool, hre.ethers.provider);
    expect((await pool.getUserAccountData(borrower!.address)).healthFactor).to.be.greaterThan(10n ** 18n);
    const headBefore = await hre.ethers.provider.getBlockNumber();

    const moved = await hre.run("sandbox:price", { symbol: "WETH", change: "-10", addressBook: bookFile });

    expect(moved.block).to.equal(headBefore + 1);
    expect(moved.afterUsd).to.be.closeTo(moved.beforeUsd * 0.9, 1e-6);
    const oracle = AaveOracle__factory.connect(sandbox.book.aaveV3!.oracle, hre.ethers.provider);
    expect(await oracle.getAssetPrice(sandbox.book.weth)).to.equal(BigInt(Math.round(moved.afterUsd * 1e8)));
    expect((await pool.getUserAccountData(borrower!.address)).healthFactor).to.be.lessThan(10n ** 18n);

    const set = await hre.run("sandbox:price", { symbol: "WETH", usd: "3000", addressBook: bookFile });
    expect(set.afterUsd).to.equal(3000);
  });

  it("names what is wrong: both or neither of --usd and --change, an unknown symbol, a fall of 100% or more", async () => {
    const rejection = async (args: Record<string, unknown>) => {
      try {
        await hre.run("sandbox:price", { addressBook: bookFile, ...args });
      } catch (error) {
        return (error as Error).message;
      }
      return expect.fail(`accepted ${JSON.stringify(args)}`);
    };
    expect(await rejection({ symbol: "WETH" })).to.contain("exactly one of --usd <price> or --change <percent>");
    expect(await rejection({ symbol: "WETH", usd: "1", change: "-1" })).to.contain("exactly one of");
    expect(await rejection({ symbol: "DOGE", change: "-1" }))
      .to.contain("--symbol DOGE is not a sandbox token")
      .and.contain("WETH");
    expect(await rejection({ symbol: "WETH", change: "-100" })).to.contain("not a percentage above -100");
    expect(await rejection({ symbol: "WETH", usd: "abc" })).to.contain('--usd "abc" is not a price');
  });
});
