/**
 * A one-line health summary per market of a sandbox, read from the chain (not from the build's intentions), so the
 * `sandbox` task and scenario logs show what the keeper will actually see. The first lines name each protocol's
 * version: Aave's pool revision is read from the pool (POOL_REVISION), the others have none on chain and name the
 * npm package their genuine code comes from.
 */
import { formatUnits } from "ethers";
import { IOracle__factory, UniswapV3Pool__factory } from "../typechain-types";
import { MULTICALL3_ADDRESS } from "./canonical-contracts";
import { morphoMarketId } from "./morpho-blue";
import type { Sandbox } from "./sandbox-types";
import { humanPriceFromSqrtX96 } from "./uniswap-math";

function amount(raw: bigint, decimals: number): string {
  return Number(formatUnits(raw, decimals)).toLocaleString("en-US", { maximumFractionDigits: 2 });
}

function usd(answer8: bigint): string {
  return `$${Number(formatUnits(answer8, 8)).toLocaleString("en-US", { maximumFractionDigits: 2 })}`;
}

function percent(numerator: bigint, denominator: bigint): string {
  if (denominator === 0n) return "0%";
  return `${(Number((numerator * 100_000n) / denominator) / 1000).toFixed(1)}%`;
}

/** `name@version` of an installed package (its package.json), for the version lines. */
function packageVersion(name: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return `${name} ${(require(`${name}/package.json`) as { version: string }).version}`;
}

/** One line per protocol: its version and, for Aave, the pool revision the deployed pool reports. */
export async function describeProtocolVersions(sandbox: Sandbox): Promise<string[]> {
  const { aave } = sandbox;
  const revision = await aave.pool.POOL_REVISION();
  const aaveLine =
    aave.version === "v3.6"
      ? `Aave V3 v3.6 (L2Pool, ${packageVersion("@aave-dao/aave-v3-origin")}): POOL_REVISION ${revision}`
      : `Aave V3 v3.0.2 (${packageVersion("@aave/core-v3")}): POOL_REVISION ${revision}`;
  return [
    `${aaveLine} at ${await aave.pool.getAddress()}`,
    `Morpho Blue 1.0 (${packageVersion("@morpho-org/morpho-blue")}, no on-chain revision) at ${sandbox.book.morphoBlue?.morpho}`,
    `Uniswap V3 (${packageVersion("@uniswap/v3-core")}, ${packageVersion("@uniswap/v3-periphery")}), factory ${sandbox.book.uniswapV3?.factory}`,
    `Balancer V2 Vault (${packageVersion("@balancer-labs/v2-deployments")}) at ${sandbox.book.flash.balancerVault}`,
  ];
}

export async function describeSandbox(sandbox: Sandbox): Promise<string[]> {
  const lines: string[] = [...(await describeProtocolVersions(sandbox))];
  const { book } = sandbox;
  const provider = sandbox.deployer.provider;

  for (const token of Object.values(book.tokens)) {
    const config = await sandbox.aave.dataProvider.getReserveConfigurationData(token.address);
    const data = await sandbox.aave.dataProvider.getReserveData(token.address);
    const price = await sandbox.aave.oracle.getAssetPrice(token.address);
    const supplied = data.totalAToken;
    const borrowed = data.totalVariableDebt + data.totalStableDebt;
    lines.push(
      `Aave V3 ${token.symbol}: price ${usd(price)}, supplied ${amount(supplied, token.decimals)}, borrowed ` +
        `${amount(borrowed, token.decimals)} (utilisation ${percent(borrowed, supplied)}), LTV ${Number(config.ltv) / 100}% / ` +
        `threshold ${Number(config.liquidationThreshold) / 100}% / bonus ${(Number(config.liquidationBonus) - 10_000) / 100}%, ` +
        `borrowing ${config.borrowingEnabled ? "on" : "off"}`,
    );
  }

  for (const [key, address] of Object.entries(sandbox.uniswap.pools)) {
    const [first, second] = key.split("/");
    const pool = UniswapV3Pool__factory.connect(address, provider);
    const [slot0, token0] = await Promise.all([pool.slot0(), pool.token0()]);
    const firstIsToken0 = token0.toLowerCase() === book.tokens[first].address.toLowerCase();
    const [d0, d1] = firstIsToken0
      ? [book.tokens[first].decimals, book.tokens[second].decimals]
      : [book.tokens[second].decimals, book.tokens[first].decimals];
    const token1PerToken0 = humanPriceFromSqrtX96(slot0.sqrtPriceX96, d0, d1);
    const poolPrice = firstIsToken0 ? token1PerToken0 : 1 / token1PerToken0;
    const feedPrice =
      Number((await sandbox.priceFeeds[first].latestRoundData()).answer) /
      Number((await sandbox.priceFeeds[second].latestRoundData()).answer);
    // Rounded first so a rounding-level difference prints as 0.00, not -0.00.
    const deviation = (Math.round((poolPrice / feedPrice - 1) * 10_000) / 100).toFixed(2);
    const firstBalance = await sandbox.tokens[first].balanceOf(address);
    const secondBalance = await sandbox.tokens[second].balanceOf(address);
    lines.push(
      `Uniswap V3 ${key}: ${poolPrice.toPrecision(6)} ${second} per ${first} (feeds ${feedPrice.toPrecision(6)}, ` +
        `${deviation}% off), holds ${amount(firstBalance, book.tokens[first].decimals)} ${first} + ` +
        `${amount(secondBalance, book.tokens[second].decimals)} ${second}`,
    );
  }

  const vaultAddress = await sandbox.balancer.vault.getAddress();
  const vaultHoldings: string[] = [];
  for (const token of Object.values(book.tokens)) {
    vaultHoldings.push(`${amount(await sandbox.tokens[token.symbol].balanceOf(vaultAddress), token.decimals)} ${token.symbol}`);
  }
  lines.push(`Balancer V2 vault: flash liquidity ${vaultHoldings.join(", ")} (fee 0)`);

  for (const params of sandbox.morpho.markets) {
    const market = await sandbox.morpho.morpho.market(morphoMarketId(params));
    const loan = Object.values(book.tokens).find((t) => t.address === params.loanToken);
    const collateral = Object.values(book.tokens).find((t) => t.address === params.collateralToken);
    if (loan === undefined || collateral === undefined) throw new Error(`Morpho market ${params.label} uses a non-sandbox token`);
    const price = await IOracle__factory.connect(params.oracle, provider).price();
    // price is loan units per collateral unit * 1e36; show it per whole collateral token in whole loan tokens.
    const humanPrice = Number(formatUnits(price, 36 + loan.decimals - collateral.decimals));
    lines.push(
      `Morpho Blue ${params.label}: supplied ${amount(market.totalSupplyAssets, loan.decimals)} ${loan.symbol}, borrowed ` +
        `${amount(market.totalBorrowAssets, loan.decimals)} (utilisation ${percent(market.totalBorrowAssets, market.totalSupplyAssets)}), ` +
        `oracle ${humanPrice.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${loan.symbol} per ${collateral.symbol}`,
    );
  }

  const multicallCode = await provider.getCode(MULTICALL3_ADDRESS);
  const sequencer = await sandbox.sequencerUptimeFeed.latestRoundData();
  lines.push(
    `Infrastructure: Multicall3 ${multicallCode === "0x" ? "MISSING" : "deployed"} at ${MULTICALL3_ADDRESS}, WETH9 at ${book.weth}, ` +
      `L2 sequencer ${sequencer.answer === 0n ? "up" : "DOWN"} (feed ${book.chainlink.sequencerUptime})`,
  );
  return lines;
}
