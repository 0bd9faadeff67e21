/**
 * A Morpho Blue market priced through Moonwell's Morpho-market OEV wrapper, as Moonwell's isolated Morpho markets on Base
 * are (docs/oev.md, "Morpho markets"): genuine Morpho Blue (the sandbox's), a WETH/USDC market whose oracle is
 * MorphoChainlinkOracleDouble with MoonwellOevMorphoWrapperDouble as its BASE_FEED_1 over the sandbox's WETH feed and
 * the plain USDC feed as QUOTE_FEED_1. Both are TEST DOUBLES (contracts/test/, written from the documented behaviour:
 * neither Moonwell's wrapper nor Morpho's ChainlinkOracleV2 ships bytecode on npm). The wrapper approves the market
 * (`approvedMarkets`), as Moonwell's owner does for its own markets. Every WETH round `setPrice` writes stays hidden from
 * the market for `roundDelaySeconds` unless a liquidator unlocks it through the wrapper.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { parseEther } from "ethers";
import {
  MorphoChainlinkOracleDouble__factory,
  MoonwellOevMorphoWrapperDouble__factory,
  type MorphoChainlinkOracleDouble,
  type MoonwellOevMorphoWrapperDouble,
} from "../typechain-types";
import type { Address, MorphoMarketParams } from "../keeper/config/address-book";
import { marketTuple, morphoMarketId } from "./morpho-blue";
import { SANDBOX_OEV_WRAPPER } from "./moonwell-oev-market";
import type { Sandbox } from "./sandbox-types";

/** Morpho's 86% LLTV tier, the sandbox's WETH/USDC one. */
const LLTV = 860_000_000_000_000_000n;
/** Lenders' USDC in the market: far more than any test borrows. */
const LIQUIDITY = 5_000_000n * 10n ** 6n;

export interface SandboxMorphoOevMarket {
  readonly wrapper: MoonwellOevMorphoWrapperDouble;
  readonly oracle: MorphoChainlinkOracleDouble;
  readonly params: MorphoMarketParams;
  /** keccak256(abi.encode(params)): what the executor's market allowlist and the wrapper's approvedMarkets name. */
  readonly marketId: string;
  /** Receives the protocol's share of every OEV liquidation. */
  readonly feeRecipient: Address;
}

export interface MorphoOevMarketOptions {
  /** Seconds a new WETH round stays hidden (default: the sandbox's 10 s). */
  readonly roundDelaySeconds?: bigint;
  /** The liquidator's share of the bonus (default: the sandbox's 4,000 bps). */
  readonly liquidatorFeeBps?: bigint;
  readonly feeRecipient?: Address;
}

/** Deploys the wrapper and oracle doubles, creates the market on the sandbox's Morpho and supplies its liquidity. */
export async function addMoonwellMorphoOevMarket(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  options: MorphoOevMarketOptions = {},
): Promise<SandboxMorphoOevMarket> {
  const { deployer, tokens, priceFeeds } = sandbox;
  const morpho = sandbox.morpho.morpho;
  const feeRecipient = options.feeRecipient ?? (hre.ethers.Wallet.createRandom().address as Address);
  const wrapper = await new MoonwellOevMorphoWrapperDouble__factory(deployer).deploy(
    priceFeeds.WETH!,
    morpho,
    feeRecipient,
    options.liquidatorFeeBps ?? SANDBOX_OEV_WRAPPER.liquidatorFeeBps,
    options.roundDelaySeconds ?? SANDBOX_OEV_WRAPPER.maxRoundDelaySeconds,
    SANDBOX_OEV_WRAPPER.maxDecrements,
  );
  await wrapper.waitForDeployment();
  const oracle = await new MorphoChainlinkOracleDouble__factory(deployer).deploy(wrapper, 18, priceFeeds.USDC!, 6);
  await oracle.waitForDeployment();
  const params: MorphoMarketParams = {
    label: "WETH/USDC 86% (Moonwell OEV-wrapped WETH feed)",
    loanToken: (await tokens.USDC.getAddress()) as Address,
    collateralToken: (await tokens.WETH.getAddress()) as Address,
    oracle: (await oracle.getAddress()) as Address,
    irm: (await sandbox.morpho.irm.getAddress()) as Address,
    lltv: LLTV,
  };
  const tuple = marketTuple(params);
  await (await morpho.connect(deployer).createMarket(tuple)).wait();
  await (await tokens.USDC.connect(deployer)["mint(address,uint256)"](deployer.address, LIQUIDITY)).wait();
  await (await tokens.USDC.connect(deployer).approve(morpho, LIQUIDITY)).wait();
  await (await morpho.connect(deployer).supply(tuple, LIQUIDITY, 0n, deployer.address, "0x")).wait();
  const marketId = morphoMarketId(params);
  await (await wrapper.setApprovedMarket(marketId, true)).wait();
  return { wrapper, oracle, params, marketId, feeRecipient };
}

/**
 * Opens `borrower` with `collateralEth` WETH, borrowing `ltvOfLltv` (0.95 = 95%) of what the LLTV allows at the price the
 * market shows now. Returns the debt borrowed.
 */
export async function openMorphoOevBorrower(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  market: SandboxMorphoOevMarket,
  borrower: HardhatEthersSigner,
  args: { collateralEth: string; ltvOfLltv: number },
): Promise<bigint> {
  const { tokens } = sandbox;
  const morpho = sandbox.morpho.morpho;
  const tuple = marketTuple(market.params);
  const collateral = parseEther(args.collateralEth);
  // Oracle price: USDC raw units per WETH raw unit, scaled by 1e36.
  const price = await market.oracle.price();
  const maxBorrow = (collateral * price * market.params.lltv) / 10n ** 36n / 10n ** 18n;
  const debt = (maxBorrow * BigInt(Math.round(args.ltvOfLltv * 10_000))) / 10_000n;
  await (await tokens.WETH.connect(borrower).deposit({ value: collateral })).wait();
  await (await tokens.WETH.connect(borrower).approve(morpho, collateral)).wait();
  await (await morpho.connect(borrower).supplyCollateral(tuple, collateral, borrower.address, "0x")).wait();
  await (await morpho.connect(borrower).borrow(tuple, debt, 0n, borrower.address, borrower.address)).wait();
  return debt;
}
