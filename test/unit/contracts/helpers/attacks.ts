/**
 * Attack set-ups for the callback and reentrancy tests: a ReentrantHookToken (contracts/test/) listed where its
 * transfer hook fires at the exact moment the executor awaits a callback -
 * - in the Balancer Vault as flash-loan liquidity (fires while the Vault's callback is awaited),
 * - as the collateral of a new Morpho Blue market (fires while `onMorphoLiquidate` is awaited: Morpho sends the
 *   collateral before calling back),
 * - as a new Aave V3 reserve (fires inside Aave's `flashLoanSimple`, before `executeOperation`).
 * Listing a reserve or a market uses the sandbox deployer's genuine admin rights; nothing is mocked but the token.
 */
import hre from "hardhat";
import { OracleMock__factory, ReentrantHookToken__factory, type OracleMock, type ReentrantHookToken } from "../../../../typechain-types";
import { listAaveReserve, type Sandbox } from "../../../../sandbox";
import type { Address, MorphoMarketParams } from "../../../../keeper/config/address-book";

const WAD = 10n ** 18n;

export async function deployHookToken(sandbox: Sandbox): Promise<ReentrantHookToken> {
  const token = await new ReentrantHookToken__factory(sandbox.deployer).deploy();
  await token.waitForDeployment();
  return token;
}

/** Parks `amount` of the hook token in the Balancer Vault, which lends any balance it holds. */
export async function fundVaultWithHookToken(sandbox: Sandbox, token: ReentrantHookToken, amount: bigint): Promise<void> {
  await (await token.mint(await sandbox.balancer.vault.getAddress(), amount)).wait();
}

export interface HookCollateralMarket {
  readonly market: MorphoMarketParams;
  readonly oracle: OracleMock;
  readonly borrower: string;
  readonly collateral: bigint;
}

/**
 * A Morpho Blue market lending USDC against the hook token (Morpho market creation is permissionless), with one
 * borrower pushed under water by lowering the market's OracleMock (Morpho's own test oracle).
 */
export async function hookCollateralMarket(sandbox: Sandbox, token: ReentrantHookToken): Promise<HookCollateralMarket> {
  const { deployer, morpho } = sandbox;
  const [, , , , , , borrower] = await hre.ethers.getSigners();
  const oracle = await new OracleMock__factory(deployer).deploy();
  // Morpho prices collateral in loan units scaled by 1e36: 1 HOOK (18 dec) = 1 USDC (6 dec).
  const onePerOne = 10n ** 36n * 10n ** 6n / 10n ** 18n;
  await (await oracle.setPrice(onePerOne)).wait();
  const lltv = (86n * WAD) / 100n;
  const market: MorphoMarketParams = {
    label: "HOOK/USDC 86%",
    loanToken: sandbox.book.tokens.USDC.address,
    collateralToken: (await token.getAddress()) as `0x${string}`,
    oracle: (await oracle.getAddress()) as `0x${string}`,
    irm: (await morpho.irm.getAddress()) as `0x${string}`,
    lltv,
  };
  await (await morpho.morpho.connect(deployer).createMarket(market)).wait();
  const supply = 1_000_000n * 10n ** 6n;
  await (await sandbox.tokens.USDC.connect(deployer)["mint(address,uint256)"](deployer.address, supply)).wait();
  await (await sandbox.tokens.USDC.connect(deployer).approve(morpho.morpho, supply)).wait();
  await (await morpho.morpho.connect(deployer).supply(market, supply, 0n, deployer.address, "0x")).wait();

  const collateral = 1_000n * WAD;
  await (await token.mint(borrower.address, collateral)).wait();
  await (await token.connect(borrower).approve(morpho.morpho, collateral)).wait();
  await (await morpho.morpho.connect(borrower).supplyCollateral(market, collateral, borrower.address, "0x")).wait();
  await (await morpho.morpho.connect(borrower).borrow(market, 800n * 10n ** 6n, 0n, borrower.address, borrower.address)).wait();
  // 10% down: max borrow 774 USDC < 800 borrowed.
  await (await oracle.setPrice((onePerOne * 90n) / 100n)).wait();
  return { market, oracle, borrower: borrower.address, collateral };
}

/**
 * Lists the hook token as an Aave V3 reserve with flash loans enabled (the sandbox deployer is pool admin) and
 * supplies `liquidity` of it, so `flashLoanSimple` can lend it.
 */
export async function listHookTokenOnAave(sandbox: Sandbox, token: ReentrantHookToken, liquidity: bigint): Promise<void> {
  const { deployer, aave } = sandbox;
  const poolAddress = await aave.pool.getAddress();
  const tokenAddress = (await token.getAddress()) as Address;
  // Either Aave version: the sandbox lists it with token implementations of the market's own version.
  await listAaveReserve(sandbox, { asset: tokenAddress, symbol: "HOOK", flashLoaning: true });
  await (await token.mint(deployer.address, liquidity)).wait();
  await (await token.connect(deployer).approve(poolAddress, liquidity)).wait();
  await (await aave.pool.connect(deployer).supply(tokenAddress, liquidity, deployer.address, 0)).wait();
}
