// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
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
library BalanceLedger {
    using TransientSlot for *;

    /// @dev ERC-7201 base of "chimera.executor.snapshots": a token's snapshot lives at keccak256(token, base).
    bytes32 private constant SNAPSHOT_BASE = 0x35e824962df7925cbb942bee8af5cb47f277effcff25c54d937bb808363d8200;

    /// @notice The distinct tokens of one plan and, once `snapshot` ran, the executor's balance of each.
    struct Ledger {
        address[] tokens;
        uint256[] balances;
        uint256 length;
        /// @dev Bit i: no callback reads `tokens[i]`'s snapshot, so it is kept in memory only. Tokens past the 256th
        ///      have no bit and always get the transient copy (the safe default).
        uint256 memoryOnly;
    }

    /// @notice An empty ledger with room for `capacity` distinct tokens.
    function open(uint256 capacity) internal pure returns (Ledger memory ledger) {
        ledger.tokens = new address[](capacity);
        ledger.balances = new uint256[](capacity);
    }

    /// @notice Adds `token` unless the ledger already has it; `readInCallbacks`: a callback will ask `receivedSince`
    ///         of it (a collateral token or collateral market), so its snapshot is copied to transient storage too.
    function track(Ledger memory ledger, address token, bool readInCallbacks) internal pure {
        uint256 length = ledger.length;
        address[] memory tokens = ledger.tokens;
        uint256 i;
        while (i < length && tokens[i] != token) ++i;
        uint256 bit = 1 << i; // 0 past the 256th token
        if (i == length) {
            tokens[length] = token;
            ledger.length = length + 1;
            ledger.memoryOnly |= bit;
        }
        if (readInCallbacks) ledger.memoryOnly &= ~bit;
    }

    /// @notice Reads the executor's balance of every tracked token once, keeping it in memory and transient storage.
    function snapshot(Ledger memory ledger) internal {
        for (uint256 i; i < ledger.length; ++i) {
            address token = ledger.tokens[i];
            uint256 balance = IERC20(token).balanceOf(address(this));
            ledger.balances[i] = balance;
            if ((ledger.memoryOnly >> i) & 1 == 0) _slot(token).asUint256().tstore(balance);
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
