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
    function clear(IERC20 token, address spender) internal {
        if (token.allowance(address(this), spender) > 0) token.forceApprove(spender, 0);
    }
}
