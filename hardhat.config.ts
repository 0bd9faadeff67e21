/**
 * Chimera's Hardhat configuration. Nothing here touches the network or reads a secret eagerly:
 * RPC URLs and keys are resolved lazily through configuration variables, so `compile`, `test` and
 * `keeper` on the in-process sandbox work with none of them set.
 */
import type { HardhatUserConfig, NetworkUserConfig } from "hardhat/types";
import "@nomicfoundation/hardhat-toolbox";
import "@nomicfoundation/hardhat-ignition-ethers";
import { extendEnvironment } from "hardhat/config";
import "./tasks";
import { envOrVar } from "./tasks/lib/config-vars";
import { deployerAccounts, guardNetworkSettings, networkUrl } from "./tasks/lib/network-settings";
import { BASE_FORK_BLOCK } from "./test/fork/pinned-block";
import { AAVE_ORIGIN_IMPORTS_FILE } from "./tasks/aave-origin-compile";

const AAVE = "node_modules/@aave/core-v3/artifacts/contracts";
const GENUINE_PROTOCOL_ARTIFACTS = [
  `${AAVE}/protocol/pool/Pool.sol/Pool.json`,
  `${AAVE}/protocol/pool/PoolConfigurator.sol/PoolConfigurator.json`,
  `${AAVE}/protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json`,
  `${AAVE}/protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json`,
  `${AAVE}/protocol/configuration/ACLManager.sol/ACLManager.json`,
  `${AAVE}/misc/AaveOracle.sol/AaveOracle.json`,
  `${AAVE}/misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json`,
  `${AAVE}/protocol/tokenization/AToken.sol/AToken.json`,
  `${AAVE}/protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json`,
  `${AAVE}/protocol/tokenization/StableDebtToken.sol/StableDebtToken.json`,
  ...["Supply", "Borrow", "Liquidation", "EMode", "Bridge", "FlashLoan", "Pool", "Configurator"].map(
    (name) => `${AAVE}/protocol/libraries/logic/${name}Logic.sol/${name}Logic.json`,
  ),
  `${AAVE}/mocks/tokens/MintableERC20.sol/MintableERC20.json`,
  `${AAVE}/dependencies/weth/WETH9.sol/WETH9.json`,
  "node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
  "node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
  "node_modules/@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
  "node_modules/@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
  "node_modules/@uniswap/swap-router-contracts/artifacts/contracts/SwapRouter02.sol/SwapRouter02.json",
  "node_modules/@balancer-labs/v2-deployments/dist/tasks/20210418-authorizer/artifact/Authorizer.json",
  "node_modules/@balancer-labs/v2-deployments/dist/tasks/20210418-vault/artifact/Vault.json",
  "node_modules/@safe-global/safe-smart-account/build/artifacts/contracts/Safe.sol/Safe.json",
  "node_modules/@safe-global/safe-smart-account/build/artifacts/contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
];

/**
 * `npm run coverage` sets CHIMERA_COVERAGE=1. solidity-coverage compiles instrumented, unoptimised
 * contracts into Hardhat's configured paths; left there they would replace the optimised build every
 * other command uses (Morpho Blue unoptimised exceeds the 24,576-byte limit) and TypeChain would
 * regenerate its factories from them. So coverage builds into its own folder and leaves TypeChain
 * as the preceding `hardhat compile` generated it.
 */
const coverageRun = process.env.CHIMERA_COVERAGE === "1";

/** Forking is opt-in through `npm run test:fork` (it sets CHIMERA_FORK=1), never implied by BASE_RPC_URL alone. */
const forkRequested = process.env.CHIMERA_FORK === "1";
const baseRpcUrl = envOrVar("BASE_RPC_URL");

/**
 * A remote network whose URL and deployer key are configuration variables. An unset or malformed value
 * never reaches Hardhat's config (which would refuse every command and quote the value): the network
 * gets a placeholder URL and no account, and the first request a command sends to it fails naming the
 * variable to set (tasks/lib/network-settings.ts, installed for every command just below).
 */
function remoteNetwork(chainId: number, network: string): NetworkUserConfig {
  return { chainId, url: networkUrl(network), accounts: deployerAccounts() };
}

extendEnvironment((hre) => guardNetworkSettings(hre));

const config: HardhatUserConfig = {
  solidity: {
    compilers: [
      {
        version: "0.8.28",
        settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" },
      },
      {
        // Morpho Blue's sources pin 0.8.19; they are compiled only for the sandbox.
        version: "0.8.19",
        settings: { optimizer: { enabled: true, runs: 999_999 }, evmVersion: "paris" },
      },
    ],
    overrides: {
      // Aave v3.6 (npm @aave-dao/aave-v3-origin 3.6.0), compiled as upstream's foundry.toml does (bytecode_hash none too), for the sandbox only.
      // tasks/aave-origin-compile.ts applies this to every file the imports file pulls in and remaps its imports.
      [AAVE_ORIGIN_IMPORTS_FILE]: {
        version: "0.8.27",
        settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "shanghai", metadata: { bytecodeHash: "none" } },
      },
      // The executor's plan path costs about 4,000 gas less through the IR pipeline (bench/gas.ts measures it); its
      // one-transaction gas floor is compiled the same way so the overhead compares like with like.
      ...Object.fromEntries(
        ["contracts/ChimeraExecutor.sol", "contracts/test/LiquidationGasFloor.sol"].map((file) => [
          file,
          { version: "0.8.28", settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun", viaIR: true } },
        ]),
      ),
    },
  },
  networks: {
    hardhat: {
      chainId: 8453,
      // The sandbox deploys full Aave/Uniswap/Balancer/Morpho stacks; keep blocks roomy like Base.
      blockGasLimit: 60_000_000,
      initialBaseFeePerGas: 5_000_000, // 0.005 gwei, Base's order of minimum base fee
      // Off, as Hardhat's default: an automined block gets previous + 1 s, which tests that price "the next block"
      // rely on. The 200 ms clock (five blocks to one whole-second timestamp) runs on its own in-process chain
      // (sandbox/clock/clocked-runtime.ts); a `npx hardhat node` for `sandbox:clock` opts in with CHIMERA_CLOCKED_NODE=1.
      allowBlocksWithSameTimestamp: process.env.CHIMERA_CLOCKED_NODE === "1",
      ...(forkRequested && baseRpcUrl ? { forking: { url: baseRpcUrl, blockNumber: BASE_FORK_BLOCK } } : {}),
    },
    // LOCALHOST_RPC_URL points --network localhost at a node on another port (`npx hardhat node --port 8577`).
    localhost: { url: networkUrl("localhost"), chainId: 8453 },
    base: remoteNetwork(8453, "base"),
    baseSepolia: remoteNetwork(84532, "baseSepolia"),
    mainnet: remoteNetwork(1, "mainnet"),
  },
  etherscan: {
    // Etherscan's v2 API takes one key for every chain it serves, BaseScan included.
    apiKey: envOrVar("ETHERSCAN_API_KEY") ?? "",
  },
  sourcify: { enabled: false },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
    // Typed bindings for the genuine protocol artifacts shipped on npm, so the sandbox, keeper and
    // tests share one ABI source instead of hand-copied fragments.
    externalArtifacts: GENUINE_PROTOCOL_ARTIFACTS,
    dontOverrideCompile: coverageRun,
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
    outputFile: process.env.REPORT_GAS_FILE ?? "reports/gas-report.txt",
    noColors: true,
    offline: true,
    excludeContracts: ["contracts/test/"],
    reportPureAndViewMethods: false,
  },
  mocha: {
    timeout: 300_000,
  },
  paths: {
    tests: "./test",
    ...(coverageRun ? { artifacts: ".coverage_build/artifacts", cache: ".coverage_build/cache" } : {}),
  },
};

export default config;
