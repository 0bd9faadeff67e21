// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The getter names are the deployed contracts' own (upper-case immutables): renaming them would change the selectors.
// solhint-disable func-name-mixedcase

/// @title IAavePriceCapAdapter
/// @notice The inner feeds of the price-cap adapters Aave's oracle uses as sources on Base (BGD Labs' CAPO): the
///         adapter's price is derived from them (an exchange ratio times a base price, capped), so when one of them
///         updates the keeper re-reads the adapter's price (keeper/markets/aave-v3/oracle-sources.ts).
/// @dev Source: bgd-labs/aave-capo `src/contracts/PriceCapAdapterBase.sol` (`BASE_TO_USD_AGGREGATOR`) and
///      `PriceCapAdapterStable.sol` (`ASSET_TO_USD_AGGREGATOR`), which ship no npm artifact. An adapter has one or the
///      other; the keeper probes both and a missing getter just fails its sub-call.
interface IAavePriceCapAdapter {
    /// @return The base asset's USD feed of an exchange-ratio adapter (e.g. ETH/USD behind wstETH).
    function BASE_TO_USD_AGGREGATOR() external view returns (address);

    /// @return The asset's own USD feed of a stablecoin adapter.
    function ASSET_TO_USD_AGGREGATOR() external view returns (address);
}
