// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title ReentrantHookToken
 * @notice Test-only attacker token: an ERC-20 (ERC-777-style in spirit) that, on every balance change, calls a
 * configured target with configured calldata and bubbles up any revert. The executor's reentrancy tests list it as a
 * flash-loan token, a Morpho collateral or an Aave reserve, so the hook fires at the exact moment a callback is
 * awaited, and try to re-enter the executor (a second plan, a spoofed callback) from inside the transfer.
 * @dev Anyone can mint and set the hook: it exists only on test chains.
 */
contract ReentrantHookToken is ERC20 {
    address public hookTarget;
    bytes public hookCalldata;
    /// @notice How many times the hook's call succeeded (a test that expects a revert asserts it stayed 0).
    uint256 public hookSuccesses;
    /// @notice When set, a failing hook call is recorded in `hookFailures` instead of reverting the transfer: some
    ///         protocols (Morpho's SafeTransferLib) replace a token's revert reason with their own, so a test that
    ///         must see the executor's error lets the transfer succeed and reads the error here afterwards.
    bool public recordFailures;
    bytes[] private failures;
    bool private inHook;

    constructor() ERC20("Reentrant Hook Token", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: every later transfer/mint/burn calls `target` with `data` (once, not recursively).
    /// @param record Record a failing call in `hookFailures` instead of reverting the transfer with its error.
    function setHook(address target, bytes calldata data, bool record) external {
        hookTarget = target;
        hookCalldata = data;
        recordFailures = record;
    }

    /// @notice The revert data of every failed hook call, in order (only when `recordFailures`).
    function hookFailures() external view returns (bytes[] memory) {
        return failures;
    }

    function clearHook() external {
        hookTarget = address(0);
        delete hookCalldata;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address target = hookTarget;
        if (target == address(0) || inHook) return;
        inHook = true;
        (bool ok, bytes memory result) = target.call(hookCalldata);
        inHook = false;
        if (!ok && recordFailures) {
            failures.push(result);
            return;
        }
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
        ++hookSuccesses;
    }
}
