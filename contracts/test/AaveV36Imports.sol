// SPDX-License-Identifier: BUSL-1.1
pragma solidity 0.8.27;

// Test-only: compiles genuine Aave v3.6 (npm @aave-dao/aave-v3-origin 3.6.0, BUSL-1.1) so the sandbox deploys the
// protocol Base runs. Compiled as upstream's foundry.toml does at tag v3.6.0 (solc 0.8.27, optimizer 200 runs, evm
// shanghai, no metadata hash); the settings and the `openzeppelin-contracts/` remapping live in hardhat.config.ts and
// tasks/aave-origin-compile.ts.
//
// The instances (L2PoolInstance, PoolConfiguratorInstance, ATokenInstance, VariableDebtTokenInstance) and the
// rate strategy have names of their own. The four contracts below share their name with the Aave v3.0.2 artifacts
// the project also uses (@aave/core-v3), and TypeChain keeps one binding per name; so they are emitted through
// subclasses that only forward the constructor: the runtime code is upstream's, only the contract name differs.

import {L2PoolInstance} from "@aave-dao/aave-v3-origin/src/contracts/instances/L2PoolInstance.sol";
import {PoolConfiguratorInstance} from "@aave-dao/aave-v3-origin/src/contracts/instances/PoolConfiguratorInstance.sol";
import {ATokenInstance} from "@aave-dao/aave-v3-origin/src/contracts/instances/ATokenInstance.sol";
import {VariableDebtTokenInstance} from "@aave-dao/aave-v3-origin/src/contracts/instances/VariableDebtTokenInstance.sol";
import {DefaultReserveInterestRateStrategyV2} from
    "@aave-dao/aave-v3-origin/src/contracts/misc/DefaultReserveInterestRateStrategyV2.sol";
import {PoolAddressesProvider} from
    "@aave-dao/aave-v3-origin/src/contracts/protocol/configuration/PoolAddressesProvider.sol";
import {ACLManager} from "@aave-dao/aave-v3-origin/src/contracts/protocol/configuration/ACLManager.sol";
import {AaveOracle} from "@aave-dao/aave-v3-origin/src/contracts/misc/AaveOracle.sol";
import {AaveProtocolDataProvider} from "@aave-dao/aave-v3-origin/src/contracts/helpers/AaveProtocolDataProvider.sol";
import {IPoolAddressesProvider} from "@aave-dao/aave-v3-origin/src/contracts/interfaces/IPoolAddressesProvider.sol";

/// @notice Aave v3.6 `PoolAddressesProvider`, renamed (see above).
contract AaveV36PoolAddressesProvider is PoolAddressesProvider {
    constructor(string memory marketId, address owner) PoolAddressesProvider(marketId, owner) {}
}

/// @notice Aave v3.6 `ACLManager`, renamed (see above).
contract AaveV36ACLManager is ACLManager {
    constructor(IPoolAddressesProvider provider) ACLManager(provider) {}
}

/// @notice Aave v3.6 `AaveOracle`, renamed (see above).
contract AaveV36Oracle is AaveOracle {
    constructor(
        IPoolAddressesProvider provider,
        address[] memory assets,
        address[] memory sources,
        address fallbackOracle,
        address baseCurrency,
        uint256 baseCurrencyUnit
    ) AaveOracle(provider, assets, sources, fallbackOracle, baseCurrency, baseCurrencyUnit) {}
}

/// @notice Aave v3.6 `AaveProtocolDataProvider`, renamed (see above).
contract AaveV36ProtocolDataProvider is AaveProtocolDataProvider {
    constructor(IPoolAddressesProvider provider) AaveProtocolDataProvider(provider) {}
}
