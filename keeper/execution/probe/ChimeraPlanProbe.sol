// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ChimeraPlanProbe
/// @notice Simulation only: never deployed. The keeper places this runtime code at the OPERATOR's address with an
///         `eth_call` state override and calls `probe`, so the executor sees the call coming from its operator and
///         runs the plan exactly as the signed transaction will, while the probe measures what the treasury gains
///         and the gas the plan used, in one execution that does not revert.
/// @dev A revert inside the plan is caught and returned as `revertData`, so nodes (and Hardhat, which builds a
///      Solidity stack trace for every failed call) do the work of a successful call. Nothing here can move funds on
///      chain: `eth_call` state changes are discarded.
contract ChimeraPlanProbe {
    /// @notice Runs `planCall` (the executor's `liquidate(plan)` calldata) against `executor` as this address.
    /// @param executor The ChimeraExecutor.
    /// @param profitToken The plan's profit token.
    /// @param treasury The executor's treasury, where the profit goes.
    /// @param planCall The calldata the keeper will sign.
    /// @return success Whether the plan ran without reverting.
    /// @return profit The treasury's `profitToken` balance growth (0 when the plan reverted).
    /// @return gasUsed Gas the executor call used (the transaction adds intrinsic and calldata gas on top).
    /// @return revertData The plan's revert data when it reverted.
    function probe(address executor, address profitToken, address treasury, bytes calldata planCall)
        external
        returns (bool success, uint256 profit, uint256 gasUsed, bytes memory revertData)
    {
        uint256 balanceBefore = _balanceOf(profitToken, treasury);
        uint256 gasBefore = gasleft();
        (success, revertData) = executor.call(planCall);
        gasUsed = gasBefore - gasleft();
        if (success) profit = _balanceOf(profitToken, treasury) - balanceBefore;
    }

    function _balanceOf(address token, address account) private view returns (uint256 balance) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSignature("balanceOf(address)", account));
        require(ok && data.length >= 32, "balanceOf failed");
        balance = abi.decode(data, (uint256));
    }
}
