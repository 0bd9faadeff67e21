// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IUniswapV3Pool
/// @notice The Uniswap V3 pool functions the executor uses to flash-borrow.
/// @dev Source: Uniswap/v3-core `contracts/interfaces/pool/IUniswapV3PoolActions.sol`. `flash` sends the amounts to
///      `recipient`, calls `uniswapV3FlashCallback(fee0, fee1, data)` on the CALLER, and checks its balances grew by
///      the fees: repayment is a plain `transfer`. The pool is locked during the flash, so the same pool cannot
///      also be used for the collateral swap. The callback can be called by anyone directly.
interface IUniswapV3Pool {
    function flash(address recipient, uint256 amount0, uint256 amount1, bytes calldata data) external;

    function token0() external view returns (address);

    function token1() external view returns (address);
}
