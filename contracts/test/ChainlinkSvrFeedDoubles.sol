// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title SvrDualAggregatorDouble
 * @notice TEST DOUBLE of Chainlink's SVR aggregator (`DualAggregator`, smartcontractkit/chainlink
 * contracts/src/v0.8/data-feeds/DualAggregator.sol), written from its documented behaviour, not copied:
 * - docs.chain.link -> data feeds -> SVR feeds: an SVR feed is read like any Chainlink feed (same aggregator
 *   interface); its reports reach it twice, through a private route whose update is auctioned to searchers
 *   (`transmitSecondary`, the winner's liquidation runs right after it in the same transaction) and through the
 *   standard public route (`transmit`), which the feed falls back to when the private route fails;
 * - the contract's public constant `typeAndVersion` is "DualAggregator 1.0.0" (a standard OCR2 aggregator answers
 *   "AccessControlledOCR2Aggregator 1.0.0"): the one on-chain trait that tells an SVR aggregator apart.
 * @dev Reports are plain answers here (no OCR signatures, no billing, no cutoff window): the keeper's tests need the
 * interface, the AnswerUpdated event and the type string, nothing else. Anyone may transmit (test-only).
 */
contract SvrDualAggregatorDouble {
    string public constant typeAndVersion = "DualAggregator 1.0.0";
    uint8 public immutable decimals;
    string public description;

    struct Round {
        int256 answer;
        uint256 updatedAt;
    }

    mapping(uint256 roundId => Round) private rounds;
    uint256 public latestRound;

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    constructor(uint8 decimals_, string memory description_, int256 initialAnswer) {
        decimals = decimals_;
        description = description_;
        _write(initialAnswer);
    }

    /// @notice The auctioned (private-route) update: in production the Atlas bundle lands it with the winner's operation.
    function transmitSecondary(int256 answer) external {
        _write(answer);
    }

    /// @notice The standard (public-route) update.
    function transmit(int256 answer) external {
        _write(answer);
    }

    function latestAnswer() external view returns (int256) {
        return rounds[latestRound].answer;
    }

    function latestTimestamp() external view returns (uint256) {
        return rounds[latestRound].updatedAt;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(uint80(latestRound));
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory round = rounds[roundId];
        require(round.updatedAt != 0, "No data present");
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }

    function _write(int256 answer) private {
        uint256 roundId = ++latestRound;
        rounds[roundId] = Round(answer, block.timestamp);
        emit NewRound(roundId, msg.sender, block.timestamp);
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }
}

/// @dev The reads a Chainlink proxy forwards to its aggregator.
interface IProxiedAggregator {
    function decimals() external view returns (uint8);
    function description() external view returns (string memory);
    function latestAnswer() external view returns (int256);
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}

/**
 * @title ChainlinkProxyDouble
 * @notice TEST DOUBLE of Chainlink's EACAggregatorProxy (what AaveOracle's sources point at on Base): forwards the
 * reads to its current aggregator and names it in `aggregator()`, as documented for the proxy (docs.chain.link ->
 * data feeds -> API reference; "read `aggregator` in the proxy contract" in the SVR searcher onboarding guide).
 * @dev No phases or access control (test-only).
 */
contract ChainlinkProxyDouble {
    address public aggregator;

    constructor(address aggregator_) {
        aggregator = aggregator_;
    }

    function decimals() external view returns (uint8) {
        return IProxiedAggregator(aggregator).decimals();
    }

    function description() external view returns (string memory) {
        return IProxiedAggregator(aggregator).description();
    }

    function latestAnswer() external view returns (int256) {
        return IProxiedAggregator(aggregator).latestAnswer();
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return IProxiedAggregator(aggregator).latestRoundData();
    }
}
