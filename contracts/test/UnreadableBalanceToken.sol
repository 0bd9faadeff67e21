// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title UnreadableBalanceToken
/// @notice Test-only: a "token" whose `balanceOf` always reverts with its own error, so the executor's guard tests can
///         show that a plan naming it stops with that error (the executor's balance reads bubble a failing call's
///         revert data up, as a Solidity high-level call does). Never deploy it outside tests.
contract UnreadableBalanceToken {
    error BalanceUnreadable(address account);

    function balanceOf(address account) external pure returns (uint256) {
        revert BalanceUnreadable(account);
    }
}
