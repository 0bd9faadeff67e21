// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IChimeraExecutor} from "../interfaces/IChimeraExecutor.sol";

/// @title PlanCalldata
/// @notice Reads a plan straight from calldata inside a callback, without copying it to memory.
/// @dev The executor hands each lender its own entry-point calldata (`msg.data` of `liquidate` / `liquidateBatch`) as
///      the flash loan's payload, and Morpho the `abi.encode`d liquidation as `liquidate`'s; every lender and Morpho
///      hand that payload back byte for byte as the callback's `bytes` argument. These functions point a calldata
///      struct at it. Solidity still bounds-checks every dynamic member it reads through the pointer, and the callbacks
///      only reach here once ExecutionContext has authenticated the sender as the allowlisted contract the plan called.
library PlanCalldata {
    /// @notice The function a payload's plan was submitted through.
    function isBatch(bytes calldata entryCall) internal pure returns (bool) {
        return bytes4(entryCall[:4]) == IChimeraExecutor.liquidateBatch.selector;
    }

    /// @notice The `Plan` of a `liquidate(plan)` call's calldata.
    function plan(bytes calldata entryCall) internal pure returns (IChimeraExecutor.Plan calldata p) {
        uint256 start = _firstArgument(entryCall);
        assembly ("memory-safe") {
            p := start
        }
    }

    /// @notice The `BatchPlan` of a `liquidateBatch(plan)` call's calldata.
    function batchPlan(bytes calldata entryCall) internal pure returns (IChimeraExecutor.BatchPlan calldata p) {
        uint256 start = _firstArgument(entryCall);
        assembly ("memory-safe") {
            p := start
        }
    }

    /// @notice The `FlashLoan` of either entry point's calldata: both plan structs start with it, inline.
    function flash(bytes calldata entryCall) internal pure returns (IChimeraExecutor.FlashLoan calldata f) {
        uint256 start = _firstArgument(entryCall);
        assembly ("memory-safe") {
            f := start
        }
    }

    /// @notice The `Liquidation` of an `abi.encode(liquidation)` payload.
    function liquidation(bytes calldata encoded) internal pure returns (IChimeraExecutor.Liquidation calldata liq) {
        assembly ("memory-safe") {
            liq := add(encoded.offset, calldataload(encoded.offset))
        }
    }

    /// @dev A call's only argument is a dynamic tuple: the word after the selector is its offset from there.
    function _firstArgument(bytes calldata entryCall) private pure returns (uint256 start) {
        assembly ("memory-safe") {
            let args := add(entryCall.offset, 4)
            start := add(args, calldataload(args))
        }
    }
}
