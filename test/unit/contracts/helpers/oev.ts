/**
 * A Moonwell OEV setup next to the venue doubles of venues.ts: the WETH feed Moonwell's oracle reads is now
 * MoonwellOevWrapperDouble (contracts/test/, a TEST DOUBLE written from Moonwell's documented wrapper behaviour: Moonwell
 * ships no bytecode on npm) over the sandbox's WETH Chainlink feed, with the liquidator's share at 40% and a delay long
 * enough that no test outruns it on a loaded machine (the delay itself is tested by time travel in the wrapper's own
 * tests). A second borrower is opened at health factor 1.03, then WETH drops 5% on the feed: the wrapper hides that
 * round, so the borrower is liquidatable only through the wrapper. HostileOevWrapper (also allowlisted) is a wrapper that
 * does not behave as documented, for the attacks.
 */
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  HostileOevWrapper__factory,
  MoonwellOevWrapperDouble__factory,
  type HostileOevWrapper,
  type MoonwellOevWrapperDouble,
} from "../../../../typechain-types";
import { currentUsdPrice, dropPrice } from "./positions";
import { venueFixture, type VenueFixture } from "./venues";

/** Moonwell's Base wrappers at the time of writing: the liquidator keeps 40% of the bonus. */
export const LIQUIDATOR_FEE_BPS = 4_000n;
/** An hour: longer than any test; the 10 s production delay is exercised with time travel. */
export const TEST_ROUND_DELAY = 3_600n;
const MAX_DECREMENTS = 5n;

export interface OevFixture extends VenueFixture {
  readonly wrapper: MoonwellOevWrapperDouble;
  readonly hostileWrapper: HostileOevWrapper;
  /** Where the wrapper sends the protocol's share. */
  readonly feeRecipient: string;
  /** Liquidatable at the WETH round the wrapper hides, healthy at the round it shows. */
  readonly oevBorrower: HardhatEthersSigner;
  readonly oevDebt: bigint;
}

export async function oevFixture(): Promise<OevFixture> {
  const base = await loadFixture(venueFixture);
  const { sandbox, executor, owner, oracle, comptroller, mUSDC, mWETH } = base;
  const { deployer, tokens } = sandbox;
  const signers = await hre.ethers.getSigners();
  const oevBorrower = signers[6];
  const feeRecipient = signers[7].address;

  const wrapper = await new MoonwellOevWrapperDouble__factory(deployer).deploy(
    sandbox.priceFeeds.WETH,
    oracle,
    feeRecipient,
    LIQUIDATOR_FEE_BPS,
    TEST_ROUND_DELAY,
    MAX_DECREMENTS,
  );
  await (await oracle.setFeed("WETH", wrapper)).wait();

  // $20k USDC against WETH at HF 1.03 (collateral factor 80%) at the price everyone sees.
  const oevDebt = 20_000n * 10n ** 6n;
  const collateral = hre.ethers.parseEther(((20_000 * 1.03) / 0.8 / (await currentUsdPrice(sandbox, "WETH"))).toFixed(18));
  await (await tokens.WETH.connect(oevBorrower).deposit({ value: collateral })).wait();
  await (await tokens.WETH.connect(oevBorrower).approve(mWETH, collateral)).wait();
  await (await mWETH.connect(oevBorrower).mint(collateral)).wait();
  await (await comptroller.connect(oevBorrower).enterMarkets([await mWETH.getAddress()])).wait();
  await (await mUSDC.connect(oevBorrower).borrow(oevDebt)).wait();
  // A new WETH round 5% lower (pools follow); the wrapper keeps showing the previous one.
  await dropPrice(sandbox, "WETH", 0.05);

  const hostileWrapper = await new HostileOevWrapper__factory(deployer).deploy();
  await (await executor.connect(owner).setAllowedTargets([await wrapper.getAddress(), await hostileWrapper.getAddress()], true)).wait();
  return { ...base, wrapper, hostileWrapper, feeRecipient, oevBorrower, oevDebt };
}
