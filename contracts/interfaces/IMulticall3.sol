// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMulticall3
/// @notice The Multicall3 functions the keeper calls (deployed at 0xcA11bde05977b3631167028862bE2a173976CA11 on every
///         chain Chimera runs on; the sandbox places the same runtime code there).
/// @dev Source: mds1/multicall `src/Multicall3.sol`. The keeper encodes `aggregate3` by hand for speed
///      (keeper/chain/multicall.ts); its tests check that codec against the binding TypeChain generates from here.
interface IMulticall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice Runs every call in order; reverts if a call with `allowFailure == false` fails.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData);

    /// @notice Lets a batch report the timestamp of the block its reads were taken at.
    function getCurrentBlockTimestamp() external view returns (uint256 timestamp);
}
