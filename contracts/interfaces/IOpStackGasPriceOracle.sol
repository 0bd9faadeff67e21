// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IOpStackGasPriceOracle
/// @notice The L1 data fee views of an OP Stack chain's GasPriceOracle predeploy
///         (0x420000000000000000000000000000000000000F on Base), which prices what every transaction pays on top of
///         its L2 gas (tasks/lib/op-stack-l1-fee.ts).
/// @dev Source: ethereum-optimism/optimism `packages/contracts-bedrock/src/L2/GasPriceOracle.sol` and the OP Stack
///      specs (predeploys), which ship no npm artifact here. `getL1FeeUpperBound` exists since the Fjord upgrade.
interface IOpStackGasPriceOracle {
    /// @return An upper bound of the L1 fee of a transaction of `unsignedTxSize` bytes (covers 99.99% of them).
    function getL1FeeUpperBound(uint256 unsignedTxSize) external view returns (uint256);

    /// @return The L1 fee of exactly these (unsigned, RLP-encoded) transaction bytes.
    function getL1Fee(bytes memory unsignedTx) external view returns (uint256);
}
