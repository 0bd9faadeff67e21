/**
 * Morpho Blue compiled from its genuine sources (contracts/test/MorphoBlueImport.sol), with markets whose oracle
 * follows the same Chainlink aggregators as Aave's (MorphoChainlinkOracleDouble), so one price move reaches both.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AbiCoder, keccak256 } from "ethers";
import {
  IrmMock__factory,
  MorphoChainlinkOracleDouble__factory,
  Morpho__factory,
  type IrmMock,
  type MockV3Aggregator,
  type Morpho,
} from "../typechain-types";
import type { Address, MorphoMarketParams } from "../keeper/config/address-book";
import type { SandboxMorphoMarketSpec } from "./market-spec";
import type { SandboxTokens } from "./sandbox-types";
import { ensureDeployerHolds } from "./token-supply";

const WAD = 10n ** 18n;

/** Morpho's MarketParams tuple (without the label). */
export function marketTuple(params: MorphoMarketParams): {
  loanToken: string;
  collateralToken: string;
  oracle: string;
  irm: string;
  lltv: bigint;
} {
  return {
    loanToken: params.loanToken,
    collateralToken: params.collateralToken,
    oracle: params.oracle,
    irm: params.irm,
    lltv: params.lltv,
  };
}

/** A Morpho market's id: keccak256 of its abi-encoded MarketParams, as MarketParamsLib computes it. */
export function morphoMarketId(params: MorphoMarketParams): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["address", "address", "address", "address", "uint256"],
      [params.loanToken, params.collateralToken, params.oracle, params.irm, params.lltv],
    ),
  );
}

/**
 * Morpho Blue is 31 kB without the optimizer (over the 24,576-byte limit) and ~20 kB with it. Artifacts built by
 * `hardhat coverage` are unoptimised, so a sandbox built from them fails here: say so instead of a bare revert.
 */
async function deployMorpho(deployer: HardhatEthersSigner): Promise<Morpho> {
  try {
    const morpho = await new Morpho__factory(deployer).deploy(deployer.address);
    await morpho.waitForDeployment();
    return morpho;
  } catch (error) {
    if (/code is too large/i.test((error as Error).message)) {
      throw new Error(
        "Morpho Blue's bytecode is over the 24,576-byte limit: the artifacts were compiled without the optimizer " +
          "(as `hardhat coverage` does). Run `npx hardhat compile --force` to rebuild them optimised.",
      );
    }
    throw error;
  }
}

export interface MorphoDeployment {
  readonly morpho: Morpho;
  readonly irm: IrmMock;
  readonly markets: MorphoMarketParams[];
  readonly deployBlock: number;
}

/** Deploys Morpho Blue owned by the deployer, creates the markets and supplies their initial liquidity. */
export async function deployMorphoBlue(
  hre: HardhatRuntimeEnvironment,
  deployer: HardhatEthersSigner,
  tokens: SandboxTokens,
  decimals: Readonly<Record<string, number>>,
  priceFeeds: Readonly<Record<string, MockV3Aggregator>>,
  specs: readonly SandboxMorphoMarketSpec[],
): Promise<MorphoDeployment> {
  const morpho = await deployMorpho(deployer);
  const deployBlock = await deployer.provider.getBlockNumber();
  const morphoAddress = await morpho.getAddress();
  // IrmMock is Morpho's own test IRM (x% utilisation -> x% APR): the adaptive-curve IRM has no npm bytecode.
  const irm = await new IrmMock__factory(deployer).deploy();
  await irm.waitForDeployment();
  const irmAddress = (await irm.getAddress()) as Address;
  await (await morpho.enableIrm(irmAddress)).wait();

  const markets: MorphoMarketParams[] = [];
  for (const spec of specs) {
    const lltv = (BigInt(Math.round(spec.lltvPercent * 100)) * WAD) / 10_000n;
    if (!(await morpho.isLltvEnabled(lltv))) await (await morpho.enableLltv(lltv)).wait();
    const oracle = await new MorphoChainlinkOracleDouble__factory(deployer).deploy(
      await priceFeeds[spec.collateral].getAddress(),
      decimals[spec.collateral],
      await priceFeeds[spec.loan].getAddress(),
      decimals[spec.loan],
    );
    await oracle.waitForDeployment();
    const params: MorphoMarketParams = {
      label: `${spec.collateral}/${spec.loan} ${spec.lltvPercent}%`,
      loanToken: (await tokens[spec.loan].getAddress()) as Address,
      collateralToken: (await tokens[spec.collateral].getAddress()) as Address,
      oracle: (await oracle.getAddress()) as Address,
      irm: irmAddress,
      lltv,
    };
    await (await morpho.createMarket(params)).wait();

    const supply = BigInt(spec.initialSupply) * 10n ** BigInt(decimals[spec.loan]);
    await ensureDeployerHolds(hre, { tokens, deployer }, spec.loan, supply);
    await (await tokens[spec.loan].connect(deployer).approve(morphoAddress, supply)).wait();
    await (await morpho.supply(params, supply, 0n, deployer.address, "0x")).wait();
    markets.push(params);
  }
  return { morpho, irm, markets, deployBlock };
}
