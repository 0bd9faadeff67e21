// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IChimeraExecutor} from "../interfaces/IChimeraExecutor.sol";
import {ISwapRouter02} from "../interfaces/ISwapRouter02.sol";
import {ISlipstreamSwapRouter} from "../interfaces/ISlipstreamSwapRouter.sol";
import {IAerodromeRouter, AerodromeRoute} from "../interfaces/IAerodromeRouter.sol";
import {ExactApprovals} from "../libraries/ExactApprovals.sol";
import {SwapRoutes} from "../libraries/SwapRoutes.sol";

/// @title ExecutorSwaps
/// @notice How ChimeraExecutor sells seized collateral: Uniswap V3 (SwapRouter02), Aerodrome and Aerodrome Slipstream,
///         exact approval in, route ends checked, approval cleared after. Adding a venue is a `SwapVenue` value and one
///         branch of `_swap`. The router itself is checked against the allowlist at admission (ExecutorAccess).
abstract contract ExecutorSwaps is IChimeraExecutor {
    using ExactApprovals for IERC20;

    /* CONSTANTS */

    uint8 internal constant VENUE_NONE = uint8(SwapVenue.None);
    uint8 internal constant VENUE_UNISWAP_V3 = uint8(SwapVenue.UniswapV3);
    uint8 internal constant VENUE_AERODROME = uint8(SwapVenue.Aerodrome);
    uint8 internal constant VENUE_AERODROME_SLIPSTREAM = uint8(SwapVenue.AerodromeSlipstream);

    /// @dev Sells `swap.amountIn` (0: all of `received`, what this plan received of `tokenIn`) of `tokenIn` for
    ///      `tokenOut` on an allowlisted router, with the route checked to start at `tokenIn` and end at `tokenOut`,
    ///      and the router's approval cleared after.
    /// @return amountIn What was sold.
    /// @return amountOut What the router returned.
    function _swap(
        Swap calldata swap,
        address tokenIn,
        address tokenOut,
        uint256 received
    ) internal returns (uint256 amountIn, uint256 amountOut) {
        uint8 venue = swap.venue;
        if (venue == VENUE_NONE) return (0, 0);
        address router = swap.router;
        amountIn = swap.amountIn == 0 ? received : swap.amountIn;
        if (amountIn == 0) revert NothingToSell(tokenIn);
        IERC20(tokenIn).approveExact(router, amountIn);
        if (venue == VENUE_UNISWAP_V3) {
            _requirePackedRouteEnds(swap.route, tokenIn, tokenOut);
            amountOut = ISwapRouter02(router).exactInput(
                ISwapRouter02.ExactInputParams({
                    path: swap.route,
                    recipient: address(this),
                    amountIn: amountIn,
                    amountOutMinimum: swap.minAmountOut
                })
            );
        } else if (venue == VENUE_AERODROME) {
            AerodromeRoute[] memory routes = abi.decode(swap.route, (AerodromeRoute[]));
            (address routeIn, address routeOut) = SwapRoutes.aerodromeRouteEnds(routes);
            _requireRouteEnds(tokenIn, tokenOut, routeIn, routeOut);
            uint256[] memory amounts = IAerodromeRouter(router).swapExactTokensForTokens(
                amountIn,
                swap.minAmountOut,
                routes,
                address(this),
                block.timestamp
            );
            amountOut = amounts[amounts.length - 1];
        } else if (venue == VENUE_AERODROME_SLIPSTREAM) {
            _requirePackedRouteEnds(swap.route, tokenIn, tokenOut);
            // Slipstream wants a timestamp deadline; the plan's block deadline has already been enforced.
            amountOut = ISlipstreamSwapRouter(router).exactInput(
                ISlipstreamSwapRouter.ExactInputParams({
                    path: swap.route,
                    recipient: address(this),
                    deadline: block.timestamp,
                    amountIn: amountIn,
                    amountOutMinimum: swap.minAmountOut
                })
            );
        } else {
            revert UnknownSwapVenue(venue);
        }
        IERC20(tokenIn).clear(router);
    }

    function _requirePackedRouteEnds(bytes calldata route, address tokenIn, address tokenOut) private pure {
        (address routeIn, address routeOut) = SwapRoutes.packedPathEnds(route);
        _requireRouteEnds(tokenIn, tokenOut, routeIn, routeOut);
    }

    function _requireRouteEnds(address tokenIn, address tokenOut, address routeIn, address routeOut) private pure {
        if (routeIn != tokenIn || routeOut != tokenOut) revert SwapRouteMismatch(tokenIn, tokenOut, routeIn, routeOut);
    }
}
