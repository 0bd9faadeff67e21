// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * Test-only: the Moonwell functions the tests call that the keeper never does (a borrower opening a position, the
 * admin actions the fork tests impersonate). The keeper's own reads are in contracts/interfaces/IMoonwell*.sol.
 * Source: moonwell-fi/moonwell-contracts-v2 `src/MErc20.sol`, `src/MToken.sol`, `src/Comptroller.sol`,
 * `src/oracles/ChainlinkOracle.sol`. Compound-style calls return an error code (0 = success) instead of reverting.
 * The sandbox's MoonwellMarketDoubles.sol implements the borrower and comptroller-membership functions with the same
 * signatures.
 */

/// @notice What a borrower calls on an mToken.
interface IMoonwellBorrowerActions {
    function mint(uint256 mintAmount) external returns (uint256 errorCode);

    function borrow(uint256 borrowAmount) external returns (uint256 errorCode);

    function balanceOf(address owner) external view returns (uint256);

    function borrowBalanceStored(address account) external view returns (uint256);
}

/// @notice Market membership (any account) and the admin's caps and pause flags on the Comptroller.
interface IMoonwellComptrollerAdmin {
    function admin() external view returns (address);

    function enterMarkets(address[] calldata mTokens) external returns (uint256[] memory errorCodes);

    function supplyCaps(address mToken) external view returns (uint256);

    function borrowCaps(address mToken) external view returns (uint256);

    function mintGuardianPaused(address mToken) external view returns (bool);

    function borrowGuardianPaused(address mToken) external view returns (bool);

    function _setMarketSupplyCaps(address[] calldata mTokens, uint256[] calldata newSupplyCaps) external;

    function _setMarketBorrowCaps(address[] calldata mTokens, uint256[] calldata newBorrowCaps) external;
}

/// @notice The ChainlinkOracle admin's price override (USD per whole token x 1e18, scaled by getUnderlyingPrice).
interface IMoonwellOracleAdmin {
    function admin() external view returns (address);

    function setUnderlyingPrice(address mToken, uint256 underlyingPriceMantissa) external;
}
