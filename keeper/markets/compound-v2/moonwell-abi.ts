/**
 * The Moonwell (Compound v2 family) functions and events the keeper reads. Moonwell ships no artifact
 * on npm, so these are written from its sources (moonwell-fi/moonwell-contracts-v2: src/Comptroller.sol,
 * src/ComptrollerStorage.sol, src/MTokenInterfaces.sol, src/MToken.sol, src/oracles/ChainlinkOracle.sol)
 * as ethers human-readable fragments. The same signatures are Compound v2's (CToken/Comptroller), except
 * that Moonwell accrues per timestamp and its `markets()` getter has no `isComped` field.
 */
import { Interface } from "ethers";

export const MOONWELL_COMPTROLLER_ABI = new Interface([
  "function oracle() view returns (address)",
  "function closeFactorMantissa() view returns (uint256)",
  "function liquidationIncentiveMantissa() view returns (uint256)",
  "function getAllMarkets() view returns (address[])",
  "function getAssetsIn(address account) view returns (address[])",
  "function markets(address mToken) view returns (bool isListed, uint256 collateralFactorMantissa)",
  "function getAccountLiquidity(address account) view returns (uint256 errorCode, uint256 liquidity, uint256 shortfall)",
  "event MarketEntered(address mToken, address account)",
  "event MarketExited(address mToken, address account)",
  "event NewCollateralFactor(address mToken, uint256 oldCollateralFactorMantissa, uint256 newCollateralFactorMantissa)",
  "event NewCloseFactor(uint256 oldCloseFactorMantissa, uint256 newCloseFactorMantissa)",
  "event NewLiquidationIncentive(uint256 oldLiquidationIncentiveMantissa, uint256 newLiquidationIncentiveMantissa)",
  "event NewPriceOracle(address oldPriceOracle, address newPriceOracle)",
]);

export const MOONWELL_MTOKEN_ABI = new Interface([
  "function underlying() view returns (address)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function balanceOf(address owner) view returns (uint256)",
  "function borrowBalanceStored(address account) view returns (uint256)",
  "function exchangeRateStored() view returns (uint256)",
  "function borrowIndex() view returns (uint256)",
  "function getCash() view returns (uint256)",
  "function totalBorrows() view returns (uint256)",
  "function totalReserves() view returns (uint256)",
  "function totalSupply() view returns (uint256)",
  "function reserveFactorMantissa() view returns (uint256)",
  "function borrowRatePerTimestamp() view returns (uint256)",
  "function accrualBlockTimestamp() view returns (uint256)",
  "function protocolSeizeShareMantissa() view returns (uint256)",
  "function getAccountSnapshot(address account) view returns (uint256 errorCode, uint256 mTokenBalance, uint256 borrowBalance, uint256 exchangeRateMantissa)",
  "event AccrueInterest(uint256 cashPrior, uint256 interestAccumulated, uint256 borrowIndex, uint256 totalBorrows)",
  "event Mint(address minter, uint256 mintAmount, uint256 mintTokens)",
  "event Redeem(address redeemer, uint256 redeemAmount, uint256 redeemTokens)",
  "event Borrow(address borrower, uint256 borrowAmount, uint256 accountBorrows, uint256 totalBorrows)",
  "event RepayBorrow(address payer, address borrower, uint256 repayAmount, uint256 accountBorrows, uint256 totalBorrows)",
  "event LiquidateBorrow(address liquidator, address borrower, uint256 repayAmount, address mTokenCollateral, uint256 seizeTokens)",
  "event Transfer(address indexed from, address indexed to, uint256 amount)",
]);

export const MOONWELL_ORACLE_ABI = new Interface([
  "function getUnderlyingPrice(address mToken) view returns (uint256)",
  "function getFeed(string symbol) view returns (address)",
  "function assetPrices(address asset) view returns (uint256)",
]);

export const ERC20_METADATA_ABI = new Interface(["function symbol() view returns (string)", "function decimals() view returns (uint8)"]);

export const CHAINLINK_FEED_ABI = new Interface([
  "function decimals() view returns (uint8)",
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
  "function aggregator() view returns (address)",
]);
