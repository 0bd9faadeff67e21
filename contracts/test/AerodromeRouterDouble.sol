// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AerodromeRoute} from "../interfaces/IAerodromeRouter.sol";

/**
 * @title AerodromeRouterDouble
 * @notice TEST DOUBLE. Aerodrome ships no bytecode on npm, so the executor's Aerodrome venue is unit-tested against this
 * stand-in for its v2-style Router: the same `swapExactTokensForTokens(amountIn, amountOutMin, Route[] routes, to,
 * deadline)` ABI and Route{from,to,stable,factory} layout, the same obligations (pull exactly `amountIn` from the caller,
 * revert below `amountOutMin` or after `deadline`, return the amount after each hop), backed by constant-product
 * reserves it holds itself with Aerodrome's volatile-pool fee (0.3%). Stable pools use the same curve here; real
 * Aerodrome (and Slipstream) is exercised by the fork tests.
 */
contract AerodromeRouterDouble {
    using SafeERC20 for IERC20;

    uint256 private constant FEE_BPS = 30;

    /// @notice The only factory whose routes resolve to a pool (Aerodrome rejects unapproved factories).
    address public immutable defaultFactory;

    mapping(bytes32 poolKey => mapping(address token => uint256)) public reserves;

    error Expired();
    error InsufficientOutputAmount(uint256 amountOut, uint256 amountOutMin);
    error PoolDoesNotExist(address from, address to, bool stable, address factory);

    constructor(address factory) {
        defaultFactory = factory;
    }

    function poolKey(address tokenA, address tokenB, bool stable) public pure returns (bytes32) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        return keccak256(abi.encode(token0, token1, stable));
    }

    /// @notice Adds reserves (pulled from the caller) to the (tokenA, tokenB, stable) pool.
    function addLiquidity(address tokenA, address tokenB, bool stable, uint256 amountA, uint256 amountB) external {
        bytes32 key = poolKey(tokenA, tokenB, stable);
        IERC20(tokenA).safeTransferFrom(msg.sender, address(this), amountA);
        IERC20(tokenB).safeTransferFrom(msg.sender, address(this), amountB);
        reserves[key][tokenA] += amountA;
        reserves[key][tokenB] += amountB;
    }

    function getAmountsOut(uint256 amountIn, AerodromeRoute[] memory routes) public view returns (uint256[] memory amounts) {
        amounts = new uint256[](routes.length + 1);
        amounts[0] = amountIn;
        for (uint256 i; i < routes.length; ++i) {
            AerodromeRoute memory route = routes[i];
            bytes32 key = _existingPool(route);
            uint256 reserveIn = reserves[key][route.from];
            uint256 reserveOut = reserves[key][route.to];
            uint256 inAfterFee = amounts[i] * (10_000 - FEE_BPS);
            amounts[i + 1] = (inAfterFee * reserveOut) / (reserveIn * 10_000 + inAfterFee);
        }
    }

    function swapExactTokensForTokens(
        uint256 amountIn,
        uint256 amountOutMin,
        AerodromeRoute[] calldata routes,
        address to,
        uint256 deadline
    ) external returns (uint256[] memory amounts) {
        if (deadline < block.timestamp) revert Expired();
        amounts = getAmountsOut(amountIn, routes);
        uint256 amountOut = amounts[amounts.length - 1];
        if (amountOut < amountOutMin) revert InsufficientOutputAmount(amountOut, amountOutMin);
        IERC20(routes[0].from).safeTransferFrom(msg.sender, address(this), amountIn);
        for (uint256 i; i < routes.length; ++i) {
            bytes32 key = poolKey(routes[i].from, routes[i].to, routes[i].stable);
            reserves[key][routes[i].from] += amounts[i];
            reserves[key][routes[i].to] -= amounts[i + 1];
        }
        IERC20(routes[routes.length - 1].to).safeTransfer(to, amountOut);
    }

    function _existingPool(AerodromeRoute memory route) private view returns (bytes32 key) {
        key = poolKey(route.from, route.to, route.stable);
        if (route.factory != defaultFactory || reserves[key][route.from] == 0) {
            revert PoolDoesNotExist(route.from, route.to, route.stable, route.factory);
        }
    }
}
