// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IAaveV3Pool
/// @notice The two Aave V3 Pool functions the executor calls. Every Aave V3 fork (Seamless, Spark...) exposes the
///         same signatures, so one pool address per market is all the executor needs.
/// @dev Source of the signatures: aave/aave-v3-core `contracts/interfaces/IPool.sol` (v3.0.2 and v3.3 agree).
interface IAaveV3Pool {
    /// @notice Repays up to `debtToCover` of `user`'s `debtAsset` debt and transfers the discounted `collateralAsset`
    ///         (plus the liquidation bonus) to the caller. Pulls the repaid debt from the caller with `transferFrom`.
    /// @dev The pool caps the repayment by its close factor, so it may pull less than `debtToCover`.
    function liquidationCall(
        address collateralAsset,
        address debtAsset,
        address user,
        uint256 debtToCover,
        bool receiveAToken
    ) external;

    /// @notice Lends `amount` of `asset` to `receiverAddress`, calls its `executeOperation`, then pulls
    ///         `amount + premium` back from it with `transferFrom`.
    /// @dev Anyone may name any receiver: the receiver must authenticate `initiator` itself.
    function flashLoanSimple(
        address receiverAddress,
        address asset,
        uint256 amount,
        bytes calldata params,
        uint16 referralCode
    ) external;
}
