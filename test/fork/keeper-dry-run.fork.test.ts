/**
 * The keeper's Aave V3 market plug-in in DRY mode on Base (v3.3+ bytecode): it discovers borrowers from the pool's
 * Borrow events over a bounded block range, keeps their positions in memory, recomputes health factors from prices
 * without RPC, and sizes liquidations, all without sending a transaction. Its in-memory health factors (and the
 * collateral and debt behind them) must agree with the pool's own getUserAccountData to 1e-9 relative, before and
 * after a price move. The sandbox suite proves the same plug-in against v3.0.2 bytecode exactly
 * (test/unit/keeper/markets/aave-v3-health-factor.test.ts); this is where the v3.3+ math meets the real pool.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../keeper/config/address-book";
import { WAD } from "../../keeper/core/types";
import type { AaveV3Market } from "../../keeper/markets/aave-v3/aave-v3-market";
import { aaveContracts, makeAaveLiquidatable } from "../shared/liquidation-scenarios";
import { discoverAaveBorrowers, pickAaveBorrower, type DiscoveredAaveMarket } from "./lib/aave-borrowers";
import { describeFork } from "./lib/fork-gate";
import { forkWorldFixture } from "./lib/fork-environment";
import { BASE_FORK_BLOCK } from "./pinned-block";

/** Fewer than this many tracked borrowers would make the agreement check too thin to mean anything. */
const MIN_TRACKED_BORROWERS = 10;
const RELATIVE_TOLERANCE_PPB = 1n; // 1e-9, in parts per billion

/** |mine - pool| <= 1e-9 x |pool| (and exact when the pool says 0). */
function expectWithinOnePpb(mine: bigint, pool: bigint, what: string): void {
  const difference = mine > pool ? mine - pool : pool - mine;
  expect(difference * 1_000_000_000n <= RELATIVE_TOLERANCE_PPB * (pool < 0n ? -pool : pool), `${what}: keeper ${mine} vs pool ${pool}`).to.equal(true);
}

/** Every tracked borrower's in-memory account data against the pool's getUserAccountData at `blockTag`. */
async function expectAgreementWithPool(market: AaveV3Market, pool: Awaited<ReturnType<typeof aaveContracts>>["pool"], blockTag: number): Promise<number> {
  let compared = 0;
  for (const position of market.positions()) {
    const borrower = position.key.borrower;
    const mine = market.accountData(borrower);
    if (mine === undefined) throw new Error(`the keeper tracks ${borrower} but has no account data for it`);
    const theirs = await pool.getUserAccountData(borrower, { blockTag });
    expectWithinOnePpb(mine.healthFactor, theirs.healthFactor, `health factor of ${borrower}`);
    expectWithinOnePpb(mine.totalCollateralBase, theirs.totalCollateralBase, `collateral of ${borrower}`);
    expectWithinOnePpb(mine.totalDebtBase, theirs.totalDebtBase, `debt of ${borrower}`);
    compared += 1;
  }
  return compared;
}

describeFork(`Keeper (DRY) on Aave V3 Base, forked at block ${BASE_FORK_BLOCK}`, function () {
  let found: DiscoveredAaveMarket;
  let blocksMinedByDiscovery: number;

  before(async function () {
    const { env } = await loadFixture(forkWorldFixture);
    const headBefore = await hre.ethers.provider.getBlockNumber();
    found = await discoverAaveBorrowers(env.book);
    blocksMinedByDiscovery = (await hre.ethers.provider.getBlockNumber()) - headBefore;
    const { pool, revision, rules } = found.market.describe();
    console.log(
      `      ${found.borrowers.length} borrowers in blocks ${found.fromBlock}..${found.toBlock}, ` +
        `${found.market.positions().length} with debt; pool ${pool} revision ${revision} (${rules} rules)`,
    );
  });

  it("discovers borrowers over a bounded block range and agrees with getUserAccountData to 1e-9, sending nothing", async function () {
    const { aave } = await loadFixture(forkWorldFixture);
    const tracked = found.market.positions().length;
    expect(tracked, `borrowers with debt discovered in blocks ${found.fromBlock}..${found.toBlock}`).to.be.greaterThanOrEqual(MIN_TRACKED_BORROWERS);
    expect(found.market.describe().rules, "Aave on Base runs v3.3+ liquidation rules").to.equal("v3.3");

    const { pool } = await aaveContracts(aave);
    expect(await expectAgreementWithPool(found.market, pool, found.readBlock), "positions compared").to.equal(tracked);

    // DRY: whatever is liquidatable is sized (or refused with a reason), and no transaction leaves the keeper.
    const headBefore = await hre.ethers.provider.getBlockNumber();
    for (const position of found.market.liquidatable()) {
      const sizing = found.market.sizeLiquidationWithReason(position);
      if (sizing.ok) expect(sizing.candidate.sizingRule).to.match(/^aave-v3\.3-/);
      else expect(sizing.reason).to.be.a("string").and.not.equal("");
    }
    expect(blocksMinedByDiscovery + (await hre.ethers.provider.getBlockNumber()) - headBefore, "blocks the DRY pipeline mined").to.equal(0);
  });

  it("after the WETH oracle source moves, recomputes from prices in memory, still agrees to 1e-9, and sizes the new liquidations", async function () {
    const { env, aave } = await loadFixture(forkWorldFixture);
    const { WETH, USDC } = env.book.tokens;
    const { market } = found;
    // Re-read at this snapshot's head so the comparison starts from a known agreement.
    await market.refreshPositions(undefined, await hre.ethers.provider.getBlockNumber());
    const target = pickAaveBorrower(found, {
      collateral: WETH.address,
      debt: USDC.address,
      minCollateralUsd: 1_000,
      minDebtUsd: 0,
      maxDebtUsd: Number.MAX_SAFE_INTEGER,
      label: "WETH collateral and USDC debt",
    });
    const borrower = target.key.borrower as Address;

    await makeAaveLiquidatable(env, aave, borrower, WETH.address, 0.97);
    const readBlock = await hre.ethers.provider.getBlockNumber();
    const block = await hre.ethers.provider.getBlock(readBlock);
    if (block === null) throw new Error(`block ${readBlock} not found`);
    // Indexes first (interest moved with the blocks mined since), still at the old WETH price: nobody new is liquidatable.
    await market.onBlock({ number: readBlock, timestamp: block.timestamp });
    expect(market.position(borrower)?.healthFactor ?? 0n, "healthy at the old price").to.be.greaterThan(WAD);
    const update = await market.refreshPrices(readBlock);
    expect(update.recomputed, "positions holding WETH were recomputed").to.be.greaterThan(0);
    expect(update.newlyLiquidatable.map((p) => p.key.borrower.toLowerCase()), "the pushed borrower became liquidatable in memory").to.include(
      borrower.toLowerCase(),
    );

    const { pool } = await aaveContracts(aave);
    await expectAgreementWithPool(market, pool, readBlock);
    for (const position of update.newlyLiquidatable) {
      const sizing = market.sizeLiquidationWithReason(position);
      if (sizing.ok) expect(sizing.candidate.sizingRule, `sizing of ${position.key.borrower}`).to.match(/^aave-v3\.3-/);
      else expect(sizing.reason, `refusal of ${position.key.borrower}`).to.be.a("string");
    }
  });
});
