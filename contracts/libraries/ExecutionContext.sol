// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {IChimeraExecutor} from "../interfaces/IChimeraExecutor.sol";

/// @title ExecutionContext
/// @notice The executor's in-flight state, held in transient storage (EIP-1153) so it exists only inside the
///         transaction that set it and costs no permanent storage write.
/// @dev One word packs the phase (bits 160..167) and the only address allowed to deliver the awaited callback
///      (bits 0..159). Entry points move the phase forward; each callback checks it, then moves it on, so a callback
///      is accepted at most once per wait. Outside a plan the word is zero (Idle) and every callback reverts.
///      Slots follow ERC-7201: keccak256(abi.encode(uint256(keccak256(name)) - 1)) & ~bytes32(uint256(0xff)).
library ExecutionContext {
    using TransientSlot for *;

    /// @notice Where the executor is in a plan.
    enum Phase {
        /// No plan is executing: every callback is refused.
        Idle,
        /// A flash loan was requested from `expectedCaller`; its callback is awaited.
        AwaitingFlashCallback,
        /// Liquidations are running; no callback is awaited.
        Liquidating,
        /// A Morpho Blue liquidation was called on `expectedCaller`; its `onMorphoLiquidate` is awaited.
        AwaitingMorphoLiquidateCallback
    }

    /// @dev ERC-7201 slot of "chimera.executor.context".
    bytes32 private constant CONTEXT_SLOT = 0x4ff3c9f7fc3f60ea77d1a5636e247c3af1464df262ac3eb8490348cf0162d500;
    /// @dev ERC-7201 slot of "chimera.executor.flashFee": the fee the lender reported, for the PlanExecuted event.
    bytes32 private constant FLASH_FEE_SLOT = 0xb9a34b4ee18cbd2b3f1996aba876bac598b98c7b12a46481274d206d3be85d00;
    /// @dev ERC-7201 slot of "chimera.executor.swapAmountIn": a Morpho callback's swap input, for the Liquidated event.
    bytes32 private constant SWAP_AMOUNT_IN_SLOT = 0x5e5d2288f9d3825974a248201541d7e3fc2886ff226fa9ac2f2c0756a62cae00;
    /// @dev ERC-7201 slot of "chimera.executor.swapAmountOut": a Morpho callback's swap output.
    bytes32 private constant SWAP_AMOUNT_OUT_SLOT = 0x2f58f52d21d66f80b3fb82dc4995de0e58a3d58b625dbe061e0a897bc8a77900;

    /// @dev Bit 168 of the word: the awaited flash callback runs a single plan's liquidation "fresh" (ChimeraExecutor's
    ///      `_liquidateAll`), as the entry point decided.
    uint256 private constant FRESH_BIT = 1 << 168;

    /// @notice Enters `phase`, awaiting a callback from `expectedCaller` (zero when none is awaited).
    function enter(Phase phase, address expectedCaller) internal {
        CONTEXT_SLOT.asUint256().tstore((uint256(phase) << 160) | uint256(uint160(expectedCaller)));
    }

    /// @notice Awaits the flash callback from `lender`, carrying the entry point's `fresh` to it.
    function awaitFlashCallback(address lender, bool fresh) internal {
        uint256 word = (uint256(Phase.AwaitingFlashCallback) << 160) | uint256(uint160(lender));
        assembly ("memory-safe") {
            word := or(word, shl(168, fresh))
        }
        CONTEXT_SLOT.asUint256().tstore(word);
    }

    /// @notice Returns to Idle at the end of a plan, so a second plan in the same transaction (an operator contract
    ///         calling twice) starts from the same state as a first one (`forgetFlashFee` does the same for the fee).
    /// @dev The swap record needs no clearing here: it is zeroed before every Morpho liquidation that reads it.
    function clear() internal {
        CONTEXT_SLOT.asUint256().tstore(0);
    }

    /// @notice Zeroes the flash fee a plan read (`fee`), unless it is zero already: a zero fee was never written.
    function forgetFlashFee(uint256 fee) internal {
        if (fee != 0) FLASH_FEE_SLOT.asUint256().tstore(0);
    }

    /// @notice Reverts unless the executor is in `awaited` and `msg.sender` is the contract it called, then moves to
    ///         Liquidating so the same callback cannot be delivered twice.
    /// @dev Order of checks gives the most useful error: no plan at all, then the wrong kind of callback, then the
    ///      right kind from the wrong contract.
    /// @return fresh What `awaitFlashCallback` carried (false for any other wait).
    function acceptCallback(Phase awaited) internal returns (bool fresh) {
        uint256 word = CONTEXT_SLOT.asUint256().tload();
        Phase phase = Phase(uint8(word >> 160));
        if (phase == Phase.Idle) revert IChimeraExecutor.CallbackOutsideExecution(msg.sender);
        if (phase != awaited) revert IChimeraExecutor.UnexpectedCallback(msg.sender);
        address expected = address(uint160(word));
        if (msg.sender != expected) revert IChimeraExecutor.UntrustedCallbackSender(msg.sender, expected);
        enter(Phase.Liquidating, address(0));
        fresh = word & FRESH_BIT != 0;
    }

    /// @dev A zero fee (Balancer, Morpho) is not written: the slot is zero at every plan's start (`clear` ends each
    ///      plan, and a reverted plan's transient writes revert with it).
    function recordFlashFee(uint256 fee) internal {
        if (fee != 0) FLASH_FEE_SLOT.asUint256().tstore(fee);
    }

    function flashFee() internal view returns (uint256) {
        return FLASH_FEE_SLOT.asUint256().tload();
    }

    function recordSwap(uint256 amountIn, uint256 amountOut) internal {
        SWAP_AMOUNT_IN_SLOT.asUint256().tstore(amountIn);
        SWAP_AMOUNT_OUT_SLOT.asUint256().tstore(amountOut);
    }

    function recordedSwap() internal view returns (uint256 amountIn, uint256 amountOut) {
        amountIn = SWAP_AMOUNT_IN_SLOT.asUint256().tload();
        amountOut = SWAP_AMOUNT_OUT_SLOT.asUint256().tload();
    }
}
