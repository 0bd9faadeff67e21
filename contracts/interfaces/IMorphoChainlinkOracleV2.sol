// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The getter names are the deployed contracts' own (upper-case immutables): renaming them would change the selectors.
// solhint-disable func-name-mixedcase

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

/// @title IMorphoChainlinkOracleV2
/// @notice The getters of Morpho's ChainlinkOracleV2 that describe its price formula:
///         price = SCALE_FACTOR · baseVault assets · baseFeed1 · baseFeed2 / (quoteVault assets · quoteFeed1 · quoteFeed2),
///         an absent feed or vault (address 0) counting as 1. The keeper models a Morpho market's oracle from them
///         (keeper/markets/morpho-blue/oracle-model.ts) so a feed update reprices the market in memory.
/// @dev Source: morpho-org/morpho-blue-oracles `src/morpho-chainlink/interfaces/IMorphoChainlinkOracleV2.sol`, which
///      ships no npm artifact. The vaults are ERC-4626 (`convertToAssets` of the conversion sample).
interface IMorphoChainlinkOracleV2 {
    function BASE_VAULT() external view returns (IERC4626);

    function BASE_VAULT_CONVERSION_SAMPLE() external view returns (uint256);

    function QUOTE_VAULT() external view returns (IERC4626);

    function QUOTE_VAULT_CONVERSION_SAMPLE() external view returns (uint256);

    function BASE_FEED_1() external view returns (AggregatorV3Interface);

    function BASE_FEED_2() external view returns (AggregatorV3Interface);

    function QUOTE_FEED_1() external view returns (AggregatorV3Interface);

    function QUOTE_FEED_2() external view returns (AggregatorV3Interface);

    function SCALE_FACTOR() external view returns (uint256);
}
