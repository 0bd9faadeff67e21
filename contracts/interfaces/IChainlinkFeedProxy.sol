// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IChainlinkFeedProxy
/// @notice A Chainlink price feed as protocols address it: the proxy they read, and the aggregator behind it, which is
///         the contract that emits `AnswerUpdated` when a new round lands.
/// @dev Source: smartcontractkit/chainlink `contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol` and
///      `AggregatorProxy.sol` (`aggregator()`). A bare aggregator (the sandbox's MockV3Aggregator) has no
///      `aggregator()`: that call reverts, and the keeper then watches the address it was given.
interface IChainlinkFeedProxy {
    function decimals() external view returns (uint8);

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @return The aggregator currently behind this proxy.
    function aggregator() external view returns (address);
}
