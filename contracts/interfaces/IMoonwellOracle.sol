// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMoonwellOracle
/// @notice The Moonwell ChainlinkOracle views the keeper's Moonwell plug-in reads to find and model its price feeds.
/// @dev Source: moonwell-fi/moonwell-contracts-v2 `src/oracles/ChainlinkOracle.sol`. `getUnderlyingPrice` is USD per
///      whole token x 1e18 x 1e(18 - underlying decimals); it is the feed's answer scaled to that unless a price was
///      posted for the asset (`assetPrices` non-zero).
interface IMoonwellOracle {
    /// @return The price the comptroller uses for `mToken`'s underlying.
    function getUnderlyingPrice(address mToken) external view returns (uint256);

    /// @return The Chainlink feed configured for a token symbol (zero when none).
    function getFeed(string memory symbol) external view returns (address);

    /// @return A price posted by the admin for `asset`, overriding its feed; zero when none.
    function assetPrices(address asset) external view returns (uint256);
}
