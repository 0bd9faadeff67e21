// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IBalancerVault
/// @notice Balancer V2 Vault's flash loan entry point.
/// @dev Source: balancer-labs/balancer-v2-monorepo `pkg/interfaces/contracts/vault/IFlashLoans.sol`. The Vault
///      transfers the tokens, calls `receiveFlashLoan(tokens, amounts, feeAmounts, userData)` on `recipient`, and
///      then checks that its balance of each token grew by the fee: repayment is a plain `transfer` back. The
///      callback carries no initiator, so anyone can start a flash loan naming any recipient.
interface IBalancerVault {
    function flashLoan(
        address recipient,
        address[] memory tokens,
        uint256[] memory amounts,
        bytes memory userData
    ) external;
}
