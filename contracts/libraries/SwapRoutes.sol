// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AerodromeRoute} from "../interfaces/IAerodromeRouter.sol";

/// @title SwapRoutes
/// @notice Reads the first and last token of the route formats the executor accepts, so it can refuse a route that
///         does not sell the seized collateral for the debt token.
library SwapRoutes {
    /// @dev A packed Uniswap V3 / Slipstream path is `token (20) | fee or tickSpacing (3) | token (20) | ...`.
    uint256 private constant ADDRESS_LENGTH = 20;
    uint256 private constant HOP_LENGTH = 23;
    uint256 private constant SINGLE_HOP_PATH_LENGTH = ADDRESS_LENGTH + HOP_LENGTH;

    /// @notice First and last token of a packed Uniswap V3 / Slipstream path.
    /// @dev Returns zero addresses for a path too short to hold one hop, or whose length is not 20 + 23k, so the
    ///      caller's equality check fails with both ends reported.
    function packedPathEnds(bytes calldata path) internal pure returns (address tokenIn, address tokenOut) {
        uint256 length = path.length;
        if (length < SINGLE_HOP_PATH_LENGTH || (length - ADDRESS_LENGTH) % HOP_LENGTH != 0) return (address(0), address(0));
        // Both reads are inside `path`: its first 20 bytes, and its last 20 bytes.
        assembly ("memory-safe") {
            tokenIn := shr(96, calldataload(path.offset))
            tokenOut := shr(96, calldataload(add(path.offset, sub(length, ADDRESS_LENGTH))))
        }
    }

    /// @notice First `from` and last `to` of Aerodrome v2-style routes.
    function aerodromeRouteEnds(AerodromeRoute[] memory routes) internal pure returns (address tokenIn, address tokenOut) {
        if (routes.length == 0) return (address(0), address(0));
        return (routes[0].from, routes[routes.length - 1].to);
    }
}
