// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMoonwellOevWrapper
/// @notice Moonwell's OEV wrapper around a Chainlink feed (`ChainlinkOEVWrapper`): what the executor calls and what the
///         keeper's Moonwell plug-in reads to plan a liquidation through it.
/// @dev Source: moonwell-fi/moonwell-contracts-v2 `src/oracles/ChainlinkOEVWrapper.sol` (the version with
///      `liquidatorFeeBps` and `feeRecipient`) and docs.moonwell.fi → developers → protocol → OEV. Behaviour the
///      executor and the keeper rely on:
///      - `latestRoundData()` answers the previous round while the feed's newest round is younger than `maxRoundDelay`
///        seconds and has not been unlocked (`cachedRoundId` != the feed's newest round id);
///      - `updatePriceEarlyAndLiquidate` pulls `repayAmount` of the loan market's underlying from the caller
///        (`transferFrom`: the caller approves the wrapper), sets `cachedRoundId` to the feed's newest round (every
///        reader sees the fresh price from then on), calls `liquidateBorrow` on `mTokenLoan`, redeems the seized
///        `mTokenCollateral`, and pays the caller collateral worth the repayment plus `liquidatorFeeBps` / 10,000 of the
///        rest (the liquidation bonus, priced with the fresh answer); the remainder goes to `feeRecipient`. It refuses a
///        collateral whose oracle feed (`getFeed(symbol)`) is not the wrapper itself. No ETH is sent with the call: the
///        protocol's share of the bonus is the whole price of the early update.
interface IMoonwellOevWrapper {
    /// @notice Unlocks the feed's newest round and liquidates `borrower` on `mTokenLoan`, seizing `mTokenCollateral`.
    function updatePriceEarlyAndLiquidate(
        address borrower,
        uint256 repayAmount,
        address mTokenCollateral,
        address mTokenLoan
    ) external;

    /// @return The Chainlink feed the wrapper delays.
    function priceFeed() external view returns (address);

    /// @return The liquidator's share of the liquidation bonus, in basis points of 10,000 (owner-settable).
    function liquidatorFeeBps() external view returns (uint16);

    /// @return Seconds a new round stays hidden unless unlocked (owner-settable).
    function maxRoundDelay() external view returns (uint256);

    /// @return The newest round someone paid to unlock.
    function cachedRoundId() external view returns (uint256);

    function decimals() external view returns (uint8);

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
