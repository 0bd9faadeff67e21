// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ITypeAndVersion
/// @notice The self-description Chainlink contracts answer ("DualAggregator 1.0.0", "EACAggregatorProxy 1.0.0").
/// @dev The keeper reads it to tell a Chainlink SVR aggregator from a plain one (keeper/oracles/svr-feeds.ts);
///      only the getter is declared, for TypeChain.
interface ITypeAndVersion {
    /// @return The contract's type and version, space-separated.
    function typeAndVersion() external view returns (string memory);
}
