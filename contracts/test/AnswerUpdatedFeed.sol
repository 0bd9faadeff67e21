// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";

/**
 * @title AnswerUpdatedFeed
 * @notice TEST DOUBLE: Chainlink's MockV3Aggregator plus the event every real OCR aggregator emits on a new round,
 * `AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)` (declared in Chainlink's
 * AggregatorInterface). The mock updates its answer silently, so a keeper could only poll it; on Base the keeper
 * subscribes to these logs and takes the new answer from the event. It adds no storage, so the sandbox can install
 * its runtime code over an already-deployed MockV3Aggregator and keep every round that feed has.
 * @dev Test-only: never deploy it outside the sandbox.
 */
contract AnswerUpdatedFeed is MockV3Aggregator {
    constructor(uint8 decimals_, int256 initialAnswer) MockV3Aggregator(decimals_, initialAnswer) {}

    /// @notice Starts a new round with `answer` and emits AnswerUpdated, as an aggregator's transmission does.
    function transmit(int256 answer) external {
        updateAnswer(answer);
        emit AnswerUpdated(answer, latestRound, block.timestamp);
    }
}
