// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISwapRouter02
/// @notice Uniswap's SwapRouter02 multi-hop exact-input swap (the V3 half of `IV3SwapRouter`).
/// @dev Source: Uniswap/swap-router-contracts `contracts/interfaces/IV3SwapRouter.sol`. Unlike the original
///      SwapRouter there is no `deadline` field. `path` is packed `tokenIn | fee(uint24) | token | ... | tokenOut`.
///      The router pulls exactly `amountIn` from the caller.
interface ISwapRouter02 {
    struct ExactInputParams {
        bytes path;
        address recipient;
        uint256 amountIn;
        uint256 amountOutMinimum;
    }

    function exactInput(ExactInputParams calldata params) external payable returns (uint256 amountOut);
}
