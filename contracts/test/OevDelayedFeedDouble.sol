// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev The Chainlink reads a wrapper makes of the feed it delays (the sandbox's MockV3Aggregator).
interface IOevWrappedFeed {
    function decimals() external view returns (uint8);
    function latestRound() external view returns (uint256);
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80);
}

/**
 * @title OevDelayedFeedDouble
 * @notice TEST DOUBLE: the part Moonwell's two OEV wrappers share (`ChainlinkOEVWrapper` for the Core markets and
 * `ChainlinkOEVMorphoWrapper` for the Morpho markets, moonwell-fi/moonwell-contracts-v2 src/oracles/), written from
 * their documented behaviour (docs.moonwell.fi → developers → protocol → OEV), not copied:
 * - `latestRoundData()` answers the feed's previous round while the newest round is younger than `maxRoundDelay`
 *   seconds and was not unlocked (`cachedRoundId` differs), searching back at most `maxDecrements` rounds;
 * - `liquidatorFeeBps` (the liquidator's share of the bonus), `maxRoundDelay`, `maxDecrements` and `feeRecipient` are
 *   owner-settable; here anyone may set them (test-only).
 * Each wrapper's liquidation entry point lives in its own double (MoonwellOevWrapperDouble, MoonwellOevMorphoWrapperDouble).
 */
abstract contract OevDelayedFeedDouble {
    uint16 public constant MAX_BPS = 10_000;

    IOevWrappedFeed public immutable priceFeed;
    address public feeRecipient;
    uint16 public liquidatorFeeBps;
    uint256 public maxRoundDelay;
    uint256 public maxDecrements;
    uint256 public cachedRoundId;

    struct Round {
        uint80 roundId;
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        uint80 answeredInRound;
    }

    constructor(address feed, address recipient, uint16 feeBps, uint256 roundDelay, uint256 decrements) {
        require(feeBps <= MAX_BPS, "ChainlinkOEVWrapper: fee multiplier cannot be greater than MAX_BPS");
        require(roundDelay > 0, "ChainlinkOEVWrapper: max round delay cannot be zero");
        require(decrements > 0, "ChainlinkOEVWrapper: max decrements cannot be zero");
        priceFeed = IOevWrappedFeed(feed);
        feeRecipient = recipient;
        liquidatorFeeBps = feeBps;
        maxRoundDelay = roundDelay;
        maxDecrements = decrements;
        cachedRoundId = IOevWrappedFeed(feed).latestRound();
    }

    function setLiquidatorFeeBps(uint16 feeBps) external {
        require(feeBps <= MAX_BPS, "ChainlinkOEVWrapper: liquidator fee cannot be greater than MAX_BPS");
        liquidatorFeeBps = feeBps;
    }

    function setMaxRoundDelay(uint256 roundDelay) external {
        require(roundDelay > 0, "ChainlinkOEVWrapper: max round delay cannot be zero");
        maxRoundDelay = roundDelay;
    }

    function decimals() external view returns (uint8) {
        return priceFeed.decimals();
    }

    function latestRound() external view returns (uint256) {
        return priceFeed.latestRound();
    }

    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        return priceFeed.getRoundData(roundId);
    }

    /// @notice The feed's newest round once unlocked or `maxRoundDelay` old; until then the round before it.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round memory round;
        (round.roundId, round.answer, round.startedAt, round.updatedAt, round.answeredInRound) = priceFeed.latestRoundData();
        if (round.roundId != cachedRoundId && block.timestamp < round.updatedAt + maxRoundDelay) {
            round = _previousRound(round);
        }
        _validate(round.roundId, round.answer, round.updatedAt, round.answeredInRound);
        return (round.roundId, round.answer, round.startedAt, round.updatedAt, round.answeredInRound);
    }

    /// @dev Unlocks the feed's newest round for every reader and returns its answer (both wrappers do this first).
    function _unlockNewestRound() internal returns (int256 answer) {
        uint80 roundId;
        uint256 updatedAt;
        uint80 answeredInRound;
        (roundId, answer, , updatedAt, answeredInRound) = priceFeed.latestRoundData();
        _validate(roundId, answer, updatedAt, answeredInRound);
        cachedRoundId = roundId;
    }

    /// @dev The newest round before `newest` the feed answers, searching at most `maxDecrements` back; `newest` if none.
    function _previousRound(Round memory newest) private view returns (Round memory round) {
        round = newest;
        uint256 previous = uint256(newest.roundId) - 1;
        for (uint256 i; i < maxDecrements && previous > 0; ++i) {
            try priceFeed.getRoundData(uint80(previous)) returns (uint80 r, int256 a, uint256 s, uint256 u, uint80 ar) {
                return Round(r, a, s, u, ar);
            } catch {
                --previous;
            }
        }
    }

    /// @dev A price in 1e18 USD per raw token unit: `answer` of a feed with `feedDecimals`, for a token of `tokenDecimals`.
    function _pricePerUnit(uint256 answer, uint8 feedDecimals, uint8 tokenDecimals) internal pure returns (uint256) {
        return answer * 10 ** (18 - uint256(feedDecimals)) * 10 ** (18 - uint256(tokenDecimals));
    }

    function _validate(uint80 roundId, int256 answer, uint256 updatedAt, uint80 answeredInRound) internal pure {
        require(answer > 0, "Chainlink price cannot be lower or equal to 0");
        require(updatedAt != 0, "Round is in incompleted state");
        require(answeredInRound >= roundId, "Stale price");
    }
}
