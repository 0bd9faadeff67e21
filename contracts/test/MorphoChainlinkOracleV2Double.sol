// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The getter names are the deployed oracle's own (upper-case immutables): renaming them would change the selectors.
// solhint-disable func-name-mixedcase

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IOracle} from "@morpho-org/morpho-blue/src/interfaces/IOracle.sol";

/**
 * @title MorphoChainlinkOracleV2Double
 * @notice TEST DOUBLE of Morpho's MorphoChainlinkOracleV2 (morpho-org/morpho-blue-oracles, no bytecode on npm) in the
 * shape Moonwell's Morpho markets use: one base feed (`BASE_FEED_1`, the OEV wrapper) and one quote feed
 * (`QUOTE_FEED_1`), no second feeds, no vaults. It answers `SCALE_FACTOR · baseFeed1 / quoteFeed1` with the real
 * oracle's scale factor, and exposes the getters MoonwellOevMorphoWrapperDouble and the keeper's oracle model read
 * (the absent ones answer zero, as the real oracle's do).
 * @dev Simplified: no vault conversion, no staleness check. Test-only.
 */
contract MorphoChainlinkOracleV2Double is IOracle {
    AggregatorV3Interface public immutable BASE_FEED_1;
    AggregatorV3Interface public immutable QUOTE_FEED_1;
    AggregatorV3Interface public constant BASE_FEED_2 = AggregatorV3Interface(address(0));
    AggregatorV3Interface public constant QUOTE_FEED_2 = AggregatorV3Interface(address(0));
    address public constant BASE_VAULT = address(0);
    address public constant QUOTE_VAULT = address(0);
    uint256 public constant BASE_VAULT_CONVERSION_SAMPLE = 1;
    uint256 public constant QUOTE_VAULT_CONVERSION_SAMPLE = 1;
    /// @notice 10^(36 + loanDecimals + quoteFeedDecimals - collateralDecimals - baseFeedDecimals), as in the real oracle.
    uint256 public immutable SCALE_FACTOR;

    constructor(AggregatorV3Interface baseFeed, uint8 collateralDecimals, AggregatorV3Interface quoteFeed, uint8 loanDecimals) {
        BASE_FEED_1 = baseFeed;
        QUOTE_FEED_1 = quoteFeed;
        SCALE_FACTOR =
            10 ** (36 + uint256(loanDecimals) + quoteFeed.decimals() - collateralDecimals - baseFeed.decimals());
    }

    /// @inheritdoc IOracle
    function price() external view returns (uint256) {
        (, int256 baseAnswer, , , ) = BASE_FEED_1.latestRoundData();
        (, int256 quoteAnswer, , , ) = QUOTE_FEED_1.latestRoundData();
        require(baseAnswer >= 0 && quoteAnswer >= 0, "MorphoChainlinkOracleV2Double: negative answer");
        return (SCALE_FACTOR * uint256(baseAnswer)) / uint256(quoteAnswer);
    }
}
