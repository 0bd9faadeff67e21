// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMoonwellMToken
/// @notice The Moonwell market (mToken) views and events the keeper's Moonwell plug-in reads (keeper/markets/moonwell/).
/// @dev Source: moonwell-fi/moonwell-contracts-v2 `src/MToken.sol`, `src/MTokenInterfaces.sol`, `src/MErc20.sol`.
///      Compound v2's CToken has the same signatures except that Moonwell accrues per timestamp
///      (`borrowRatePerTimestamp`, `accrualBlockTimestamp`). The executor's own calls (`liquidateBorrow`, `redeem`)
///      are in ICompoundV2Market.sol. Moonwell ships no artifact on npm: this file is the one place this ABI is
///      written down.
interface IMoonwellMToken {
    /// @notice Interest accrued on the market (emitted by every state-changing call).
    event AccrueInterest(uint256 cashPrior, uint256 interestAccumulated, uint256 borrowIndex, uint256 totalBorrows);

    /// @notice `minter` supplied `mintAmount` of the underlying for `mintTokens` mTokens.
    event Mint(address minter, uint256 mintAmount, uint256 mintTokens);

    /// @notice `redeemer` burnt `redeemTokens` mTokens for `redeemAmount` of the underlying.
    event Redeem(address redeemer, uint256 redeemAmount, uint256 redeemTokens);

    /// @notice `borrower` borrowed `borrowAmount`; its borrow balance is now `accountBorrows`.
    event Borrow(address borrower, uint256 borrowAmount, uint256 accountBorrows, uint256 totalBorrows);

    /// @notice `payer` repaid `repayAmount` of `borrower`'s borrow.
    event RepayBorrow(address payer, address borrower, uint256 repayAmount, uint256 accountBorrows, uint256 totalBorrows);

    /// @notice `liquidator` repaid `repayAmount` of `borrower`'s borrow and seized `seizeTokens` of `mTokenCollateral`.
    event LiquidateBorrow(
        address liquidator,
        address borrower,
        uint256 repayAmount,
        address mTokenCollateral,
        uint256 seizeTokens
    );

    /// @notice mTokens moved between accounts (a collateral transfer changes both accounts' liquidity).
    event Transfer(address indexed from, address indexed to, uint256 amount);

    /// @dev Reverts on a native-asset market (Compound's cEther shape), which has no underlying token.
    function underlying() external view returns (address);

    function symbol() external view returns (string memory);

    function exchangeRateStored() external view returns (uint256);

    function borrowIndex() external view returns (uint256);

    function getCash() external view returns (uint256);

    function totalBorrows() external view returns (uint256);

    function totalReserves() external view returns (uint256);

    function totalSupply() external view returns (uint256);

    function reserveFactorMantissa() external view returns (uint256);

    function borrowRatePerTimestamp() external view returns (uint256);

    function accrualBlockTimestamp() external view returns (uint256);

    /// @return The share of seized mTokens that goes to the market's reserves, 1e18-scaled (Moonwell: 3%).
    function protocolSeizeShareMantissa() external view returns (uint256);

    /// @return errorCode 0 on success.
    /// @return mTokenBalance The account's mTokens.
    /// @return borrowBalance The account's stored borrow balance.
    /// @return exchangeRateMantissa The stored exchange rate.
    function getAccountSnapshot(address account)
        external
        view
        returns (uint256 errorCode, uint256 mTokenBalance, uint256 borrowBalance, uint256 exchangeRateMantissa);
}
