// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

/// @title BalanceLedger
/// @notice The executor's balance of every token a plan names, snapshotted at the plan's entry point: the guard at
///         settlement (nothing ends below its snapshot), the profit (the profit token's growth over it) and "sell all"
///         (only what the plan received above it) are all measured from it.
/// @dev Each snapshot is kept in the entry point's memory, which outlives the flash loan because the callback runs in a
///      nested call of that same frame (settlement reads it there). The snapshots callbacks read (their own frames, their
///      own memory) for "sell all" and for what a liquidation seized, those of collateral tokens and collateral markets,
///      are also copied to transient storage; the others (flash, debt and profit tokens) are not, which saves a
///      transient write per plan. Transient values of a previous plan in the same transaction are never read: a plan
///      snapshots every token it names before it reads any.
///
///      The ledger is one memory block, `[length][memoryOnly][token 0][balance 0][token 1][balance 1]...`, read and
///      written in assembly: Solidity's memory arrays bounds-check every index (about 58 gas an access, ~1,200 a plan),
///      and here every index is below `length` by the loops' own conditions, and `length` never exceeds the capacity
///      the block was allocated with (`track`'s proof).
library BalanceLedger {
    using TransientSlot for *;

    /// @dev ERC-7201 base of "chimera.executor.snapshots": a token's snapshot lives at keccak256(token, base).
    bytes32 private constant SNAPSHOT_BASE = 0x35e824962df7925cbb942bee8af5cb47f277effcff25c54d937bb808363d8200;

    /// @notice A memory pointer to one plan's ledger: its distinct tokens and, once `snapshot` ran, the executor's
    ///         balance of each. Word 1 (`memoryOnly`), bit i: no callback reads token i's snapshot, so it is kept in
    ///         memory only; tokens past the 256th have no bit and always get the transient copy (the safe default).
    type Ledger is uint256;

    /// @notice An empty ledger with room for `capacity` distinct tokens.
    /// @dev Only the two header words are zeroed: an entry is written by `track` (token) and `snapshot` (balance)
    ///      before anything reads it.
    function open(uint256 capacity) internal pure returns (Ledger ledger) {
        assembly ("memory-safe") {
            ledger := mload(0x40)
            mstore(ledger, 0)
            mstore(add(ledger, 0x20), 0)
            mstore(0x40, add(ledger, shl(6, add(capacity, 1))))
        }
    }

    /// @notice How many distinct tokens the ledger tracks.
    function length(Ledger ledger) internal pure returns (uint256 count) {
        assembly ("memory-safe") {
            count := mload(ledger)
        }
    }

    /// @notice Token `i` (below `length`) and the value kept for it: its snapshot once `snapshot` ran.
    function entry(Ledger ledger, uint256 i) internal pure returns (address token, uint256 value) {
        assembly ("memory-safe") {
            let at := add(ledger, shl(6, add(i, 1)))
            token := mload(at)
            value := mload(add(at, 0x20))
        }
    }

    /// @notice Adds `token` unless the ledger already has it; `readInCallbacks`: a callback will ask `receivedSince`
    ///         of it (a collateral token or collateral market), so its snapshot is copied to transient storage too.
    /// @dev Never writes past the capacity: the executor opens the ledger for 2 + 3n tokens and calls `track` at most
    ///      twice per plan (flash and profit token) and three times per liquidation (collateral market, debt and
    ///      collateral token), so `length` stays at or below the capacity.
    function track(Ledger ledger, address token, bool readInCallbacks) internal pure {
        assembly ("memory-safe") {
            let count := mload(ledger)
            let entries := add(ledger, 0x40)
            let i := 0
            for {} and(lt(i, count), iszero(eq(mload(add(entries, shl(6, i))), token))) {} {
                i := add(i, 1)
            }
            let bit := shl(i, 1) // 0 past the 256th token
            let bitsAt := add(ledger, 0x20)
            let bits := mload(bitsAt)
            if eq(i, count) {
                mstore(add(entries, shl(6, i)), token)
                mstore(ledger, add(count, 1))
                bits := or(bits, bit)
            }
            if readInCallbacks {
                bits := and(bits, not(bit))
            }
            mstore(bitsAt, bits)
        }
    }

    /// @notice Reads the executor's balance of every tracked token once, keeping it in memory and (when a callback
    ///         reads it) in transient storage.
    function snapshot(Ledger ledger) internal {
        uint256 count = length(ledger);
        uint256 memoryOnly;
        assembly ("memory-safe") {
            memoryOnly := mload(add(ledger, 0x20))
        }
        for (uint256 i; i < count; ++i) {
            (address token, ) = entry(ledger, i);
            uint256 amount = held(token);
            assembly ("memory-safe") {
                mstore(add(ledger, add(shl(6, add(i, 1)), 0x20)), amount)
            }
            if ((memoryOnly >> i) & 1 == 0) _slot(token).asUint256().tstore(amount);
        }
    }

    /// @notice The executor's current balance of `token`: `IERC20(token).balanceOf(address(this))` without the
    ///         high-level call's memory allocation and re-encoding (~120 gas a read, ~8 reads a plan). As Solidity's own
    ///         call, it bubbles up a failing call's revert data and reverts on a reply shorter than one word.
    function held(address token) internal view returns (uint256 amount) {
        assembly ("memory-safe") {
            mstore(0x00, 0x70a08231) // balanceOf(address), its selector in the scratch word's last four bytes
            mstore(0x20, address())
            if iszero(staticcall(gas(), token, 0x1c, 0x24, 0x00, 0x20)) {
                let ptr := mload(0x40)
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            if lt(returndatasize(), 0x20) {
                revert(0, 0)
            }
            amount := mload(0x00)
        }
    }

    /// @notice How much of `token` the plan has received so far, given the executor's current `balance`: the part
    ///         above the entry-point snapshot (zero when the balance is below it).
    /// @dev Only for collateral tokens and collateral markets the plan names (tracked with `readInCallbacks`).
    function receivedSince(address token, uint256 balance) internal view returns (uint256) {
        uint256 snapshotted = _slot(token).asUint256().tload();
        return balance > snapshotted ? balance - snapshotted : 0;
    }

    function _slot(address token) private pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            mstore(0x00, token)
            mstore(0x20, SNAPSHOT_BASE)
            slot := keccak256(0x00, 0x40)
        }
    }
}
