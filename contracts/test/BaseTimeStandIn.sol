// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title BaseTimeStandIn
 * @notice STAND-IN for Base's BaseTime predeploy (0x4200000000000000000000000000000000000030), which ships no
 * bytecode on npm. Since Denim every Base block starts with a BaseTime deposit carrying the sub-second part of the
 * block's time, so a block's full time is 1000 × block.timestamp + that part (docs.base.org, upgrades/denim). The
 * sandbox's clock (sandbox/clock/) sends the same thing as the first transaction of every block it mines, from the
 * depositor account, with a priority fee no bot outbids, and installs this code at the predeploy's address.
 * @dev Not the predeploy's real code or interface (its ABI is not established here): only the fact that matters to the
 * keeper, "this block's millisecond part is on chain, written first in the block", is kept. Test-only.
 */
contract BaseTimeStandIn {
    /* CONSTANTS */

    /// @notice The OP Stack depositor account, which sends Base's system deposits (L1 attributes, BaseTime).
    address public constant DEPOSITOR = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;

    /* STORAGE */

    /// @notice The current block's sub-second part, 0-999 ms.
    uint16 public millisPart;

    /* ERRORS */

    /// @notice Only the depositor writes the time.
    error NotDepositor(address caller);

    /// @notice A sub-second part is below 1000 ms.
    error NotSubSecond(uint256 millis);

    /* DEPOSIT */

    /// @notice Records this block's sub-second part.
    /// @dev Reverts for any caller but the depositor, and for a value of 1000 or more.
    function setMillisPart(uint256 millis) external {
        if (msg.sender != DEPOSITOR) revert NotDepositor(msg.sender);
        if (millis >= 1000) revert NotSubSecond(millis);
        millisPart = uint16(millis);
    }

    /// @notice This block's full time in milliseconds: 1000 × block.timestamp + the sub-second part.
    function timestampMs() external view returns (uint256) {
        return block.timestamp * 1000 + millisPart;
    }
}
