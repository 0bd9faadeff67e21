// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Identifies a Morpho Blue market (its id is the hash of these five fields).
/// @dev Field order must match morpho-org/morpho-blue `src/interfaces/IMorpho.sol` exactly: it is ABI-encoded.
struct MarketParams {
    address loanToken;
    address collateralToken;
    address oracle;
    address irm;
    uint256 lltv;
}

/// @title IMorphoBlue
/// @notice The Morpho Blue functions the executor calls.
/// @dev Source: morpho-org/morpho-blue v1.0.0 `src/Morpho.sol`.
interface IMorphoBlue {
    /// @notice Liquidates `borrower`: exactly one of `seizedAssets` and `repaidShares` is non-zero. Morpho sends the
    ///         seized collateral to the caller first, then (when `data` is non-empty) calls
    ///         `onMorphoLiquidate(repaidAssets, data)` on the caller, then pulls `repaidAssets` of the loan token
    ///         from the caller with `transferFrom`.
    /// @return seizedAssets_ Collateral sent to the caller.
    /// @return repaidAssets Loan token pulled from the caller.
    function liquidate(
        MarketParams memory marketParams,
        address borrower,
        uint256 seizedAssets,
        uint256 repaidShares,
        bytes calldata data
    ) external returns (uint256 seizedAssets_, uint256 repaidAssets);

    /// @notice Fee-free flash loan: sends `assets` of `token` to the caller, calls `onMorphoFlashLoan(assets, data)`
    ///         on the caller (never on anyone else), then pulls `assets` back with `transferFrom`.
    function flashLoan(address token, uint256 assets, bytes calldata data) external;
}
