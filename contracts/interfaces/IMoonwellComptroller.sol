// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMoonwellComptroller
/// @notice The Moonwell Comptroller views and events the keeper's Moonwell plug-in reads (keeper/markets/moonwell/).
/// @dev Source: moonwell-fi/moonwell-contracts-v2 `src/Comptroller.sol`, `src/ComptrollerStorage.sol` (Compound v2's
///      Comptroller has the same signatures). Contract-typed parameters (`MToken`, `PriceOracle`) are addresses in the
///      ABI and in event topics, so they are declared as addresses here. Moonwell ships no artifact on npm: this file
///      is the one place its Comptroller ABI is written down, and TypeChain generates the keeper's bindings from it.
interface IMoonwellComptroller {
    /// @notice An account entered a market: its mTokens there now count as collateral.
    event MarketEntered(address mToken, address account);

    /// @notice An account left a market.
    event MarketExited(address mToken, address account);

    /// @notice Governance changed a market's collateral factor.
    event NewCollateralFactor(address mToken, uint256 oldCollateralFactorMantissa, uint256 newCollateralFactorMantissa);

    /// @notice Governance changed the share of a borrow one liquidation may repay.
    event NewCloseFactor(uint256 oldCloseFactorMantissa, uint256 newCloseFactorMantissa);

    /// @notice Governance changed the liquidator's bonus.
    event NewLiquidationIncentive(uint256 oldLiquidationIncentiveMantissa, uint256 newLiquidationIncentiveMantissa);

    /// @notice Governance pointed the comptroller at another price oracle.
    event NewPriceOracle(address oldPriceOracle, address newPriceOracle);

    /// @return The price oracle liquidations are checked against.
    function oracle() external view returns (address);

    /// @return The share of a borrow one `liquidateBorrow` may repay, 1e18-scaled.
    function closeFactorMantissa() external view returns (uint256);

    /// @return The liquidator's seizure multiplier (1.1e18 = 10% bonus), 1e18-scaled.
    function liquidationIncentiveMantissa() external view returns (uint256);

    /// @return Every market (mToken) ever listed, in listing order.
    function getAllMarkets() external view returns (address[] memory);

    /// @return The markets `account` has entered, in the order liquidity is summed over them.
    function getAssetsIn(address account) external view returns (address[] memory);

    /// @return isListed Whether the market is listed.
    /// @return collateralFactorMantissa The market's collateral factor, 1e18-scaled.
    function markets(address mToken) external view returns (bool isListed, uint256 collateralFactorMantissa);

    /// @dev The keeper recomputes this in memory; tests compare its health factors against it.
    /// @return errorCode 0 on success.
    /// @return liquidity USD (1e18) the account may still borrow.
    /// @return shortfall USD (1e18) the account is under water; non-zero means liquidatable.
    function getAccountLiquidity(address account)
        external
        view
        returns (uint256 errorCode, uint256 liquidity, uint256 shortfall);
}
