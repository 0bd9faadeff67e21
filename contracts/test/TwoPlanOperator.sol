// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IChimeraExecutor} from "../interfaces/IChimeraExecutor.sol";

/**
 * @title TwoPlanOperator
 * @notice Test-only operator contract that submits two plans in ONE transaction, so a test can check that the second
 * starts from the state a first plan starts from: the executor's transient context (callback phase, the "fresh" bit,
 * the flash fee) lives for the whole transaction, not for one call, and must be reset by each plan itself.
 * @dev Never deploy it outside tests.
 */
contract TwoPlanOperator {
    function liquidateTwice(
        IChimeraExecutor executor,
        IChimeraExecutor.Plan calldata first,
        IChimeraExecutor.Plan calldata second
    ) external {
        executor.liquidate(first);
        executor.liquidate(second);
    }
}
