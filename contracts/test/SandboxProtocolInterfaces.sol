// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * Test-only: the few entry points of Aave V3 and Balancer V2 that the sandbox's helper contracts call. Both
 * protocols' genuine bytecode comes from npm artifacts (no Solidity interfaces compiled here), so these declare just
 * what is used, with names that cannot collide with the executor's own interfaces in contracts/interfaces/.
 */

/// @notice The slice of Aave V3's `IPool` (v3.0.2) the sandbox's borrower and flash-loan helpers use.
interface ISandboxAavePool {
    function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode) external;

    /// @param interestRateMode 2 = variable (stable borrowing is disabled in the sandbox).
    function borrow(address asset, uint256 amount, uint256 interestRateMode, uint16 referralCode, address onBehalfOf)
        external;

    function withdraw(address asset, uint256 amount, address to) external returns (uint256);

    function flashLoanSimple(address receiverAddress, address asset, uint256 amount, bytes calldata params, uint16 referralCode)
        external;
}

/// @notice The slice of Balancer V2's `IVault` used to take a flash loan.
interface ISandboxBalancerVault {
    function flashLoan(address recipient, address[] memory tokens, uint256[] memory amounts, bytes memory userData)
        external;
}
