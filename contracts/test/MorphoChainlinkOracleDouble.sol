// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The getter names are the deployed oracle's own (upper-case immutables): renaming them would change the selectors.
// solhint-disable func-name-mixedcase

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IOracle} from "@morpho-org/morpho-blue/src/interfaces/IOracle.sol";

/**
 * @title MorphoChainlinkOracleDouble
 * @notice TEST DOUBLE of Morpho's MorphoChainlinkOracleV2 (morpho-org/morpho-blue-oracles), which ships no bytecode on
 * npm, with the deployed oracle's getters (`BASE_FEED_1`, `QUOTE_FEED_1`, the absent second feeds and vaults answering
 * zero, `SCALE_FACTOR`), which the keeper's oracle model and Moonwell's Morpho OEV wrapper read.
 * It keeps the one property the sandbox needs: the Morpho market's price follows the SAME Chainlink aggregators that
 * feed Aave's oracle, so one `updateAnswer` moves both protocols together. Like the real oracle it answers in Morpho's
 * `IOracle` units: loan-token units per collateral-token unit, scaled by 1e36 (so a 1e36 answer means 1:1 in raw units).
 * @dev Simplified from the real oracle: one base feed and one quote feed (no second feeds, no ERC-4626 vaults), no
 * staleness check. Test-only: never deploy it outside the sandbox.
 */
contract MorphoChainlinkOracleDouble is IOracle {
    /* IMMUTABLES */

    /// @notice USD feed of the collateral token (the "base" asset of the price).
    AggregatorV3Interface public immutable BASE_FEED_1;
    /// @notice USD feed of the loan token (the "quote" asset of the price).
    AggregatorV3Interface public immutable QUOTE_FEED_1;
    AggregatorV3Interface public constant BASE_FEED_2 = AggregatorV3Interface(address(0));
    AggregatorV3Interface public constant QUOTE_FEED_2 = AggregatorV3Interface(address(0));
    address public constant BASE_VAULT = address(0);
    address public constant QUOTE_VAULT = address(0);
    uint256 public constant BASE_VAULT_CONVERSION_SAMPLE = 1;
    uint256 public constant QUOTE_VAULT_CONVERSION_SAMPLE = 1;
    /// @notice 10^(36 + loanDecimals + quoteFeedDecimals - collateralDecimals - baseFeedDecimals), as in the real oracle.
    uint256 public immutable SCALE_FACTOR;

    /* ERRORS */

    /// @notice A feed answered zero or a negative price, which no real market price can be.
    error NonPositiveAnswer(address feed, int256 answer);

    /* CONSTRUCTOR */

    /// @param baseFeed USD aggregator of the collateral token.
    /// @param collateralDecimals Decimals of the collateral token.
    /// @param quoteFeed USD aggregator of the loan token.
    /// @param loanDecimals Decimals of the loan token.
    constructor(AggregatorV3Interface baseFeed, uint8 collateralDecimals, AggregatorV3Interface quoteFeed, uint8 loanDecimals) {
        BASE_FEED_1 = baseFeed;
        QUOTE_FEED_1 = quoteFeed;
        SCALE_FACTOR =
            10 ** (36 + uint256(loanDecimals) + quoteFeed.decimals() - collateralDecimals - baseFeed.decimals());
    }

    /* VIEW FUNCTIONS */

    /// @inheritdoc IOracle
    /// @dev Reverts with `NonPositiveAnswer` when either feed answers <= 0, as the real oracle refuses negative prices.
    function price() external view returns (uint256) {
        return (SCALE_FACTOR * _positiveAnswer(BASE_FEED_1)) / _positiveAnswer(QUOTE_FEED_1);
    }

    function _positiveAnswer(AggregatorV3Interface feed) private view returns (uint256) {
        (, int256 answer,,,) = feed.latestRoundData();
        if (answer <= 0) revert NonPositiveAnswer(address(feed), answer);
        return uint256(answer);
    }
}
