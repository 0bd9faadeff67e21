/**
 * Populates the sandbox with borrowers at chosen health factors: each is a SandboxBorrower clone opened by
 * SandboxBorrowerFactory, many per transaction (the keeper's benchmark opens 10,000). Amounts come from a seeded PRNG
 * and the protocols' own prices and parameters, so the same seed on a fresh sandbox yields the same borrowers, the
 * same amounts and (within rounding and interest accrued since opening) the requested health factors.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AbiCoder, getCreate2Address, keccak256, concat, type BytesLike, type ContractTransactionResponse } from "ethers";
import { IOracle__factory, VariableDebtToken__factory } from "../typechain-types";
import type { Address } from "../keeper/config/address-book";
import { morphoMarketId } from "./morpho-blue";
import { seededRandom, type SeededRandom } from "./random";
import type { Sandbox } from "./sandbox-types";
import { ensureDeployerHolds, tokenBySymbol } from "./token-supply";

export interface NumberRange {
  readonly min: number;
  readonly max: number;
}

export interface AaveBorrowerSpec {
  readonly count: number;
  readonly seed: number;
  /** Collateral and debt symbols (sandbox.tokens keys); cbETH is collateral-only. */
  readonly collateral: string;
  readonly debt: string;
  /** Health factors to open at, drawn uniformly; min must be >= 1 (move a price with setPrice to go below). */
  readonly healthFactor: NumberRange;
  /** Debt size in USD at the current oracle price, drawn uniformly. */
  readonly debtUsd: NumberRange;
  /** At most this many borrowers per transaction; default: as many as fit the per-transaction gas cap (~54-65). */
  readonly batchSize?: number;
}

export interface MorphoBorrowerSpec {
  /** Index into sandbox.morpho.markets. */
  readonly market: number;
  readonly count: number;
  readonly seed: number;
  readonly healthFactor: NumberRange;
  readonly debtUsd: NumberRange;
  /** At most this many borrowers per transaction; default: as many as fit the per-transaction gas cap (~120). */
  readonly batchSize?: number;
}

export interface OpenedBorrower {
  /** "moonwell": opened by openMoonwellBorrowers (moonwell-oev-market.ts). */
  readonly protocol: "aaveV3" | "morphoBlue" | "moonwell";
  readonly address: Address;
  /** Symbols. */
  readonly collateral: string;
  readonly debt: string;
  /** Raw units held by the position right after opening. */
  readonly collateralAmount: bigint;
  readonly debtAmount: bigint;
  /** The health factor the amounts were computed for (Aave's HF, or Morpho's maxBorrow / borrowed). */
  readonly targetHealthFactor: number;
}

/**
 * Gas budget per borrower, measured on the sandbox (marginal cost inside a batch) plus ~10% headroom: an Aave borrower
 * costs ~222k (clone + supply on behalf + borrow) and ~55k more when it withdraws; a Morpho borrower ~119k. The first
 * borrower of a batch pays for cold storage and code, covered by the per-transaction overhead.
 */
const AAVE_GAS_PER_BORROWER = 245_000n;
const AAVE_GAS_PER_WITHDRAWAL = 65_000n;
const MORPHO_GAS_PER_BORROWER = 135_000n;
const BATCH_GAS_OVERHEAD = 650_000n;
/** EIP-7825's per-transaction gas cap (2^24), which Hardhat enforces and Base applies too. */
const TRANSACTION_GAS_CAP = 16_777_216n;
/** Keep Aave utilisation at or below 50% and Morpho's (whose mock IRM charges utilisation as APR) at or below 10%. */
const AAVE_MAX_UTILISATION_PERCENT = 50n;
const MORPHO_MAX_UTILISATION_PERCENT = 10n;

const HF_SCALE = 1_000_000_000n;
const WAD = 10n ** 18n;
const ORACLE_PRICE_SCALE = 10n ** 36n;
/** EIP-1167 minimal proxy creation code around the implementation address (OpenZeppelin Clones). */
const CLONE_PREFIX = "0x3d602d80600a3d3981f3363d3d373d3d3d363d73";
const CLONE_SUFFIX = "0x5af43d82803e903d91602b57fd5bf3";

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function requireRange(name: string, range: NumberRange, lowest: number): void {
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min < lowest || range.max < range.min) {
    throw new Error(`${name} must satisfy ${lowest} <= min <= max with finite numbers, got {min: ${range.min}, max: ${range.max}}`);
  }
}

/** What every protocol's borrower spec must satisfy before anything is opened (positions open at HF >= 1, debts of a cent or more). */
function requireBorrowerSpec(kind: string, spec: AaveBorrowerSpec | MorphoBorrowerSpec): void {
  if (!Number.isInteger(spec.count) || spec.count < 0) throw new Error(`${kind}.count must be a non-negative integer, got ${spec.count}`);
  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0) throw new Error(`${kind}.seed must be a non-negative integer, got ${spec.seed}`);
  requireRange(`${kind}.healthFactor`, spec.healthFactor, 1);
  requireRange(`${kind}.debtUsd`, spec.debtUsd, 0.01);
}

function usdToRaw(usd: number, usdPrice8: bigint, decimals: number): bigint {
  return (BigInt(Math.round(usd * 100)) * 1_000_000n * 10n ** BigInt(decimals)) / usdPrice8;
}

function hfScaled(hf: number): bigint {
  return BigInt(Math.round(hf * Number(HF_SCALE)));
}

/** Predicts clone addresses off-chain (one keccak each) instead of one eth_call per borrower. */
async function clonePredictor(sandbox: Sandbox): Promise<(salt: BytesLike) => Address> {
  const factory = await sandbox.borrowerFactory.getAddress();
  const implementation = await sandbox.borrowerFactory.BORROWER_IMPLEMENTATION();
  const initCodeHash = keccak256(concat([CLONE_PREFIX, implementation, CLONE_SUFFIX]));
  return (salt) => getCreate2Address(factory, salt, initCodeHash) as Address;
}

function borrowerSalt(protocol: string, seed: number, market: string, index: number): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256", "bytes32", "uint256"], [protocol, seed, market, index]));
}

/** The gas one transaction may use here: the block gas limit or EIP-7825's cap, whichever is lower. */
async function transactionGasBudget(sandbox: Sandbox): Promise<bigint> {
  const block = await sandbox.deployer.provider.getBlock("latest");
  const blockGasLimit = block?.gasLimit ?? TRANSACTION_GAS_CAP;
  return blockGasLimit < TRANSACTION_GAS_CAP ? blockGasLimit : TRANSACTION_GAS_CAP;
}

/**
 * Splits orders into transactions greedily by their gas estimates (at most `maxPerBatch` each). Every batch is then
 * sent with the whole budget as its gas limit: an explicit limit skips eth_estimateGas (which would execute each
 * batch twice), and the full budget leaves room when the code costs more than measured (unoptimised coverage builds).
 */
function packBatches<T>(
  orders: readonly T[],
  gasOf: (order: T) => bigint,
  budget: bigint,
  maxPerBatch: number | undefined,
): { start: number; orders: T[] }[] {
  if (maxPerBatch !== undefined && (!Number.isInteger(maxPerBatch) || maxPerBatch < 1)) {
    throw new Error(`batchSize must be a positive integer, got ${maxPerBatch}`);
  }
  const batches: { start: number; orders: T[] }[] = [];
  let current: { start: number; orders: T[] } | undefined;
  let currentGas = 0n;
  orders.forEach((order, index) => {
    const gas = gasOf(order);
    const full =
      current !== undefined && (currentGas + gas > budget || (maxPerBatch !== undefined && current.orders.length >= maxPerBatch));
    if (current === undefined || full) {
      current = { start: index, orders: [] };
      currentGas = BATCH_GAS_OVERHEAD;
      batches.push(current);
    }
    current.orders.push(order);
    currentGas += gas;
  });
  return batches;
}

/**
 * The deployer gives the borrower factory the collateral every borrower of this call supplies (the factory pulls it
 * with transferFrom as it opens each one).
 */
async function fundFactoryCollateral(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  symbol: string,
  orders: readonly { collateralSupplied: bigint }[],
): Promise<void> {
  const totalSupplied = orders.reduce((sum, o) => sum + o.collateralSupplied, 0n);
  await ensureDeployerHolds(hre, sandbox, symbol, totalSupplied);
  const token = tokenBySymbol(sandbox.tokens, symbol).connect(sandbox.deployer);
  await (await token.approve(await sandbox.borrowerFactory.getAddress(), totalSupplied)).wait();
}

/** Sends the batches in order; a failed one is named by `what` and its borrowers' indexes. */
async function openInBatches<T>(
  batches: readonly { start: number; orders: T[] }[],
  what: string,
  send: (orders: T[]) => Promise<ContractTransactionResponse>,
): Promise<void> {
  for (const batch of batches) {
    try {
      const tx = await send(batch.orders);
      await tx.wait();
    } catch (error) {
      const last = batch.start + batch.orders.length - 1;
      throw new Error(`opening ${what} ${batch.start}..${last} failed: ${(error as Error).message}`);
    }
  }
}

async function failIfAlreadyOpened(hre: HardhatRuntimeEnvironment, address: Address, what: string): Promise<void> {
  if ((await hre.ethers.provider.getCode(address)) !== "0x") {
    throw new Error(`${what} were already opened with this seed in this sandbox (borrower ${address} exists); pass another seed`);
  }
}

function symbolOfAddress(sandbox: Sandbox, address: string): string {
  const entry = Object.values(sandbox.book.tokens).find((t) => t.address.toLowerCase() === address.toLowerCase());
  if (entry === undefined) throw new Error(`token ${address} is not a sandbox token`);
  return entry.symbol;
}

/**
 * Opens `spec.count` Aave V3 borrowers, each with one collateral and one variable debt, at health factors drawn from
 * `spec.healthFactor`. Tops up the debt reserve's liquidity first (utilisation stays <= 50%) so borrows never fail for
 * lack of cash. Positions between HF 1 and threshold/LTV are reached by over-supplying, borrowing, then withdrawing.
 */
export async function openAaveBorrowers(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  spec: AaveBorrowerSpec,
): Promise<OpenedBorrower[]> {
  requireBorrowerSpec("openAaveBorrowers spec", spec);
  if (spec.collateral === spec.debt) throw new Error(`collateral and debt must differ, both are "${spec.collateral}"`);
  const collateralToken = tokenBySymbol(sandbox.tokens, spec.collateral);
  const debtToken = tokenBySymbol(sandbox.tokens, spec.debt);
  if (spec.count === 0) return [];

  const { pool, oracle, dataProvider } = sandbox.aave;
  const collateralAddress = (await collateralToken.getAddress()) as Address;
  const debtAddress = (await debtToken.getAddress()) as Address;
  const collateralConfig = await dataProvider.getReserveConfigurationData(collateralAddress);
  const debtConfig = await dataProvider.getReserveConfigurationData(debtAddress);
  if (!collateralConfig.usageAsCollateralEnabled || collateralConfig.liquidationThreshold === 0n) {
    throw new Error(`${spec.collateral} is not usable as Aave collateral in the sandbox`);
  }
  if (!debtConfig.borrowingEnabled) throw new Error(`${spec.debt} is not borrowable on Aave in the sandbox`);
  const collateralDecimals = Number(collateralConfig.decimals);
  const debtDecimals = Number(debtConfig.decimals);
  const collateralPrice = await oracle.getAssetPrice(collateralAddress);
  const debtPrice = await oracle.getAssetPrice(debtAddress);
  const collateralUnit = 10n ** BigInt(collateralDecimals);
  const debtUnit = 10n ** BigInt(debtDecimals);
  // Aave may read a fresh borrow back 1 wei higher (rayMul rounding): size collateral for that worst case.
  const debtRoundingBase = ceilDiv(debtPrice, debtUnit) + 1n;

  const random: SeededRandom = seededRandom(spec.seed);
  const predict = await clonePredictor(sandbox);
  const marketTag = keccak256(AbiCoder.defaultAbiCoder().encode(["address", "address"], [collateralAddress, debtAddress]));
  const orders: { salt: string; collateralSupplied: bigint; debtBorrowed: bigint; collateralWithdrawn: bigint }[] = [];
  const opened: OpenedBorrower[] = [];
  for (let i = 0; i < spec.count; i++) {
    const targetHealthFactor = random.between(spec.healthFactor.min, spec.healthFactor.max);
    const debtUsd = random.between(spec.debtUsd.min, spec.debtUsd.max);
    const debtAmount = usdToRaw(debtUsd, debtPrice, debtDecimals);
    if (debtAmount === 0n) throw new Error(`a $${debtUsd} debt of ${spec.debt} rounds to zero units`);
    const debtBase = (debtAmount * debtPrice) / debtUnit + debtRoundingBase;
    // HF = collateralBase * LT / 1e4 / debtBase  =>  collateralBase = HF * debtBase * 1e4 / LT.
    const targetCollateralBase = ceilDiv(
      hfScaled(targetHealthFactor) * debtBase * 10_000n,
      HF_SCALE * collateralConfig.liquidationThreshold,
    );
    const collateralAmount = ceilDiv(targetCollateralBase * collateralUnit, collateralPrice);
    // Borrowing needs collateralBase * LTV / 1e4 >= debtBase; 1 bp of headroom covers Aave's percentDiv rounding.
    const borrowableCollateralBase = ceilDiv(debtBase * 10_001n, collateralConfig.ltv);
    const collateralSupplied =
      targetCollateralBase >= borrowableCollateralBase
        ? collateralAmount
        : ceilDiv(borrowableCollateralBase * collateralUnit, collateralPrice);
    const salt = borrowerSalt("aaveV3", spec.seed, marketTag, i);
    orders.push({ salt, collateralSupplied, debtBorrowed: debtAmount, collateralWithdrawn: collateralSupplied - collateralAmount });
    opened.push({
      protocol: "aaveV3",
      address: predict(salt),
      collateral: spec.collateral,
      debt: spec.debt,
      collateralAmount,
      debtAmount,
      targetHealthFactor,
    });
  }
  const what = `Aave ${spec.collateral}/${spec.debt} borrowers`;
  await failIfAlreadyOpened(hre, opened[0].address, what);

  // Liquidity: enough cash in the debt reserve that utilisation ends at or below the cap.
  const newDebt = orders.reduce((sum, o) => sum + o.debtBorrowed, 0n);
  const reserveTokens = await dataProvider.getReserveTokensAddresses(debtAddress);
  const cash = await debtToken.balanceOf(reserveTokens.aTokenAddress);
  const existingDebt = await VariableDebtToken__factory.connect(reserveTokens.variableDebtTokenAddress, sandbox.deployer).totalSupply();
  const neededCash = ((existingDebt + newDebt) * 100n) / AAVE_MAX_UTILISATION_PERCENT - existingDebt;
  const poolAddress = await pool.getAddress();
  if (neededCash > cash) {
    const topUp = neededCash - cash;
    await ensureDeployerHolds(hre, sandbox, spec.debt, topUp);
    await (await debtToken.connect(sandbox.deployer).approve(poolAddress, topUp)).wait();
    await (await pool.connect(sandbox.deployer).supply(debtAddress, topUp, sandbox.deployer.address, 0)).wait();
  }

  await fundFactoryCollateral(hre, sandbox, spec.collateral, orders);

  const gasBudget = await transactionGasBudget(sandbox);
  const batches = packBatches(
    orders,
    (o) => AAVE_GAS_PER_BORROWER + (o.collateralWithdrawn === 0n ? 0n : AAVE_GAS_PER_WITHDRAWAL),
    gasBudget,
    spec.batchSize,
  );
  const factory = sandbox.borrowerFactory.connect(sandbox.deployer);
  await openInBatches(batches, what, (batchOrders) =>
    factory.openAaveBorrowers(poolAddress, collateralAddress, debtAddress, batchOrders, { gasLimit: gasBudget }),
  );
  return opened;
}

/**
 * Opens `spec.count` Morpho Blue borrowers in market `spec.market` at health factors (maxBorrow / borrowed) drawn
 * from `spec.healthFactor`. Tops up the market's supply first so utilisation stays <= 10%.
 */
export async function openMorphoBorrowers(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  spec: MorphoBorrowerSpec,
): Promise<OpenedBorrower[]> {
  requireBorrowerSpec("openMorphoBorrowers spec", spec);
  const params = sandbox.morpho.markets[spec.market];
  if (!Number.isInteger(spec.market) || params === undefined) {
    throw new Error(
      `openMorphoBorrowers spec.market must be an index 0..${sandbox.morpho.markets.length - 1} of sandbox.morpho.markets, got ${spec.market}`,
    );
  }
  if (spec.count === 0) return [];
  const collateral = symbolOfAddress(sandbox, params.collateralToken);
  const loan = symbolOfAddress(sandbox, params.loanToken);
  const loanDecimals = sandbox.book.tokens[loan].decimals;
  const loanUsdPrice = (await sandbox.priceFeeds[loan].latestRoundData()).answer;
  const oraclePrice = await IOracle__factory.connect(params.oracle, sandbox.deployer).price();
  // Borrow shares round up, so a borrow can read back a couple of wei higher than asked.
  const borrowRounding = 2n;

  const random = seededRandom(spec.seed);
  const predict = await clonePredictor(sandbox);
  const marketId = morphoMarketId(params);
  const orders: { salt: string; collateralSupplied: bigint; loanBorrowed: bigint }[] = [];
  const opened: OpenedBorrower[] = [];
  for (let i = 0; i < spec.count; i++) {
    const targetHealthFactor = random.between(spec.healthFactor.min, spec.healthFactor.max);
    const debtUsd = random.between(spec.debtUsd.min, spec.debtUsd.max);
    const loanBorrowed = usdToRaw(debtUsd, loanUsdPrice, loanDecimals);
    if (loanBorrowed === 0n) throw new Error(`a $${debtUsd} debt of ${loan} rounds to zero units`);
    // Morpho: maxBorrow = collateral * price / 1e36 * lltv / 1e18, each step rounded down; HF = maxBorrow / borrowed.
    const maxBorrow = ceilDiv(hfScaled(targetHealthFactor) * (loanBorrowed + borrowRounding), HF_SCALE);
    const collateralValue = ceilDiv(maxBorrow * WAD, params.lltv);
    const collateralSupplied = ceilDiv(collateralValue * ORACLE_PRICE_SCALE, oraclePrice);
    const salt = borrowerSalt("morphoBlue", spec.seed, marketId, i);
    orders.push({ salt, collateralSupplied, loanBorrowed });
    opened.push({
      protocol: "morphoBlue",
      address: predict(salt),
      collateral,
      debt: loan,
      collateralAmount: collateralSupplied,
      debtAmount: loanBorrowed,
      targetHealthFactor,
    });
  }
  const what = `Morpho ${params.label} borrowers`;
  await failIfAlreadyOpened(hre, opened[0].address, what);

  const morpho = sandbox.morpho.morpho.connect(sandbox.deployer);
  const morphoAddress = await morpho.getAddress();
  const market = await morpho.market(marketId);
  const newDebt = orders.reduce((sum, o) => sum + o.loanBorrowed, 0n);
  const neededSupply = ((market.totalBorrowAssets + newDebt) * 100n) / MORPHO_MAX_UTILISATION_PERCENT;
  if (neededSupply > market.totalSupplyAssets) {
    const topUp = neededSupply - market.totalSupplyAssets;
    await ensureDeployerHolds(hre, sandbox, loan, topUp);
    await (await sandbox.tokens[loan].connect(sandbox.deployer).approve(morphoAddress, topUp)).wait();
    await (await morpho.supply(params, topUp, 0n, sandbox.deployer.address, "0x")).wait();
  }

  await fundFactoryCollateral(hre, sandbox, collateral, orders);

  const gasBudget = await transactionGasBudget(sandbox);
  const batches = packBatches(orders, () => MORPHO_GAS_PER_BORROWER, gasBudget, spec.batchSize);
  const factory = sandbox.borrowerFactory.connect(sandbox.deployer);
  await openInBatches(batches, what, (batchOrders) =>
    factory.openMorphoBorrowers(morphoAddress, params, batchOrders, { gasLimit: gasBudget }),
  );
  return opened;
}
