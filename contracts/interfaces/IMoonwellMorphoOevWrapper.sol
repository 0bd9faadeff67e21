// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MarketParams} from "./IMorphoBlue.sol";

/// @title IMoonwellMorphoOevWrapper
/// @notice Moonwell's OEV wrapper for its isolated Morpho Blue markets (`ChainlinkOEVMorphoWrapper`): what the executor
///         calls, and what it reads to check the wrapper liquidates on the Morpho instance the plan names.
/// @dev Source: moonwell-fi/moonwell-contracts-v2 `src/oracles/ChainlinkOEVMorphoWrapper.sol` (read at commit 047e46de)
///      and docs.moonwell.fi → developers → protocol → OEV → "Morpho Markets". Behaviour the executor relies on:
///      - it is `BASE_FEED_1` of the market's MorphoChainlinkOracleV2 and delays rounds like the Core wrapper
///        (`latestRoundData()` answers the previous round while the newest is younger than `maxRoundDelay` seconds and
///        not unlocked);
///      - `updatePriceEarlyAndLiquidate(marketParams, borrower, seizedAssets, maxRepayAmount)` refuses a market whose id
///        is not in its owner-set `approvedMarkets` or whose oracle's `BASE_FEED_1` is not the wrapper; pulls
///        `maxRepayAmount` of the loan token from the caller (`transferFrom`: the caller approves the wrapper), sets
///        `cachedRoundId` to the feed's newest round, calls `morphoBlue().liquidate(marketParams, borrower, seizedAssets,
///        0, "")` (no callback to anyone), clears its own approval to Morpho and transfers back what Morpho did not take;
///      - it then pays the caller the market's collateral token (not shares) worth the repayment plus `liquidatorFeeBps`
///        / 10,000 of the rest, valued at the fresh answer and the oracle's `QUOTE_FEED_1`; all of the seizure when it is
///        worth no more than the repayment; the remainder goes to `feeRecipient`. No ETH is charged.
interface IMoonwellMorphoOevWrapper {
    /// @notice Unlocks the feed's newest round and liquidates `borrower` in the Morpho market `marketParams`, seizing
    ///         `seizedAssets` of its collateral and repaying at most `maxRepayAmount` of its loan token.
    function updatePriceEarlyAndLiquidate(
        MarketParams memory marketParams,
        address borrower,
        uint256 seizedAssets,
        uint256 maxRepayAmount
    ) external;

    /// @return The Morpho Blue instance the wrapper liquidates on.
    function morphoBlue() external view returns (address);

    /// @return Whether the market with this Morpho id may be liquidated through the wrapper (owner-set).
    function approvedMarkets(bytes32 marketId) external view returns (bool);

    /// @return The Chainlink feed the wrapper delays.
    function priceFeed() external view returns (address);

    /// @return The liquidator's share of the liquidation bonus, in basis points of 10,000 (owner-settable).
    function liquidatorFeeBps() external view returns (uint16);

    /// @return Seconds a new round stays hidden unless unlocked (owner-settable).
    function maxRoundDelay() external view returns (uint256);
}
