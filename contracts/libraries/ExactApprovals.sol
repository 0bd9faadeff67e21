// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title ExactApprovals
/// @notice Approvals that are exactly what the next call needs and end at zero.
/// @dev `forceApprove` handles tokens that return nothing and tokens (USDT-style) that refuse to change a non-zero
///      allowance to another non-zero value.
library ExactApprovals {
    using SafeERC20 for IERC20;

    /// @notice Approves exactly `amount` of `token` to `spender`.
    function approveExact(IERC20 token, address spender, uint256 amount) internal {
        token.forceApprove(spender, amount);
    }

    /// @notice Resets whatever `spender` did not pull back to zero.
    /// @dev Reads the allowance first: a spender that pulled everything (the common case) costs a warm view call
    ///      instead of an approval write and its event. The allowance is never used to tell what was pulled: a token
    ///      may leave an infinite allowance undecremented (WETH9 does), so amounts are measured from balances.
    ///      The allowance is read in assembly (the call Solidity would make, without its memory allocation and
    ///      re-encoding): a failing call's revert data is bubbled up and a reply shorter than one word reverts.
    function clear(IERC20 token, address spender) internal {
        uint256 left;
        assembly ("memory-safe") {
            let ptr := mload(0x40) // temporary: nothing is kept past the free memory pointer
            mstore(ptr, shl(224, 0xdd62ed3e)) // allowance(address,address)
            mstore(add(ptr, 0x04), address())
            mstore(add(ptr, 0x24), spender)
            if iszero(staticcall(gas(), token, ptr, 0x44, 0x00, 0x20)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            if lt(returndatasize(), 0x20) {
                revert(0, 0)
            }
            left := mload(0x00)
        }
        if (left > 0) token.forceApprove(spender, 0);
    }
}
