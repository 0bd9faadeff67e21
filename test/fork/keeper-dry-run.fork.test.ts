/**
 * The keeper's Aave V3 market plug-in in DRY mode on Base (POOL_REVISION BASE_AAVE_POOL_REVISION; the suite skips,
 * saying so, on any other revision): it discovers borrowers from the pool's
 * Borrow events over a bounded block range, keeps their positions in memory, reacts to a price move, and sizes
 * liquidations, all without sending a transaction. Its in-memory health factors (and the collateral and debt behind
 * them) must agree with the pool's own getUserAccountData to 1e-9 relative, before and after the move. The same
 * scenario (test/shared/liquidation-scenarios/keeper-dry-run.ts) runs offline against the sandbox's v3.6 pool.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  expectEverySizingDecided,
  expectKeeperAgreesWithPool,
  pickAaveBorrower,
  pushBorrowerAndReact,
  type DiscoveredAaveMarket,
} from "../shared/liquidation-scenarios/keeper-dry-run";
import { discoverAaveBorrowers } from "./lib/aave-borrowers";
import { aaveLiquidationRulesForRevision } from "../../keeper/markets/aave-v3/liquidation-sizing";
import { skipUnlessAaveRevision } from "./lib/aave-revision-gate";
import { describeFork } from "./lib/fork-gate";
import { forkWorldFixture } from "./lib/fork-environment";
import { BASE_AAVE_POOL_REVISION, BASE_FORK_BLOCK } from "./pinned-block";

/** Fewer than this many tracked borrowers would make the agreement check too thin to mean anything. */
const MIN_TRACKED_BORROWERS = 10;

describeFork(`Keeper (DRY) on Aave V3 Base, forked at block ${BASE_FORK_BLOCK}, pool revision ${BASE_AAVE_POOL_REVISION}`, function () {
  let found: DiscoveredAaveMarket;
  let blocksMinedByDiscovery: number;

  before(async function () {
    const { env, aave } = await loadFixture(forkWorldFixture);
    await skipUnlessAaveRevision(this, aave, BASE_AAVE_POOL_REVISION);
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
    expect(tracked, `borrowers with debt discovered in blocks ${found.fromBlock}..${found.toBlock}`).to.be.greaterThanOrEqual(
      MIN_TRACKED_BORROWERS,
    );
    expect(found.market.describe()).to.include({
      revision: BASE_AAVE_POOL_REVISION,
      rules: aaveLiquidationRulesForRevision(BASE_AAVE_POOL_REVISION),
    });
    expect(await expectKeeperAgreesWithPool(aave, found.market, found.readBlock), "positions compared").to.equal(tracked);

    // DRY: whatever is liquidatable is sized (or refused with a reason), and no transaction leaves the keeper.
    const headBefore = await hre.ethers.provider.getBlockNumber();
    expectEverySizingDecided(found.market, found.market.liquidatable(), /^aave-v3\.3-/);
    expect(blocksMinedByDiscovery + (await hre.ethers.provider.getBlockNumber()) - headBefore, "blocks the DRY pipeline mined").to.equal(0);
  });

  it("after the WETH oracle source moves, flags the pushed borrower, still agrees to 1e-9 and sizes by v3.3+ rules", async function () {
    const { env, aave } = await loadFixture(forkWorldFixture);
    const { WETH, USDC } = env.book.tokens;
    const { market } = found;
    // Re-read at this snapshot's head so the reaction starts from a known agreement.
    await market.refreshPositions(undefined, await hre.ethers.provider.getBlockNumber());
    const target = pickAaveBorrower(found, {
      collateral: WETH.address,
      debt: USDC.address,
      minCollateralUsd: 1_000,
      minDebtUsd: 0,
      maxDebtUsd: Number.MAX_SAFE_INTEGER,
      label: "WETH collateral and USDC debt",
    });

    const { update, readBlock } = await pushBorrowerAndReact(env, aave, market, target.key.borrower, WETH.address, 0.97);
    await expectKeeperAgreesWithPool(aave, market, readBlock);
    expect(expectEverySizingDecided(market, update.newlyLiquidatable, /^aave-v3\.3-/), "liquidations sized").to.be.greaterThan(0);
  });
});
