// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICompoundV2Market
/// @notice The Compound-v2-family market (cToken / Moonwell mToken) functions the executor calls.
/// @dev Source: compound-finance/compound-protocol `CErc20.sol` and moonwell-fi/moonwell-contracts-v2 `MErc20.sol`
///      (identical signatures). These markets report many failures as a non-zero return code instead of reverting,
///      so every return value must be checked. `liquidateBorrow` is called on the market of the DEBT (it pulls the
///      underlying with `transferFrom` and hands the liquidator shares of `cTokenCollateral`); `redeem` is then
///      called on the COLLATERAL market to turn those shares into its underlying.
interface ICompoundV2Market {
    /// @return errorCode 0 on success, otherwise a Compound `Error` / `FailureInfo` code.
    function liquidateBorrow(
        address borrower,
        uint256 repayAmount,
        address cTokenCollateral
    ) external returns (uint256 errorCode);

    /// @return errorCode 0 on success.
    function redeem(uint256 redeemTokens) external returns (uint256 errorCode);

    function balanceOf(address owner) external view returns (uint256);

    function underlying() external view returns (address);
}
