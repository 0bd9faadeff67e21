// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISlipstreamSwapRouter
/// @notice Aerodrome Slipstream's (concentrated liquidity) multi-hop exact-input swap.
/// @dev Source: aerodrome-finance/slipstream `contracts/periphery/interfaces/ISwapRouter.sol`. The ABI is the same as
///      the original Uniswap V3 SwapRouter's `exactInput` (with `deadline`); the packed `path` carries an int24
///      tick spacing where Uniswap carries a uint24 fee, both 3 bytes, so the executor treats it as opaque.
interface ISlipstreamSwapRouter {
    struct ExactInputParams {
        bytes path;
        address recipient;
        uint256 deadline;
        uint256 amountIn;
        uint256 amountOutMinimum;
    }

    function exactInput(ExactInputParams calldata params) external payable returns (uint256 amountOut);
}
