// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice One hop of an Aerodrome v2-style swap: the pool of (`from`, `to`, `stable`) deployed by `factory`.
/// @dev Field order matches aerodrome-finance/contracts `contracts/interfaces/IRouter.sol` `Route`.
struct AerodromeRoute {
    address from;
    address to;
    bool stable;
    address factory;
}

/// @title IAerodromeRouter
/// @notice Aerodrome's v2-style Router (Base: 0xcF77a3Ba9A5CA399B7c97c74d54e5b1Beb874E43).
/// @dev The router pulls exactly `amountIn` of `routes[0].from` from the caller and reverts when the output is
///      below `amountOutMin` or `deadline` (a timestamp) has passed. Returns the amount after each hop.
interface IAerodromeRouter {
    function swapExactTokensForTokens(
        uint256 amountIn,
        uint256 amountOutMin,
        AerodromeRoute[] calldata routes,
        address to,
        uint256 deadline
    ) external returns (uint256[] memory amounts);

    /// @notice What `swapExactTokensForTokens(amountIn, ..., routes, ...)` would return now: `amountIn` followed by the
    ///         amount after each hop. Reverts when a route's pool does not exist (the keeper reads that as "no quote").
    function getAmountsOut(uint256 amountIn, AerodromeRoute[] memory routes) external view returns (uint256[] memory amounts);
}
