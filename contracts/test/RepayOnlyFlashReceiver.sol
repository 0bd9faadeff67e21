// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAaveV3Pool} from "../interfaces/IAaveV3Pool.sol";
import {IBalancerVault} from "../interfaces/IBalancerVault.sol";
import {IMorphoBlue} from "../interfaces/IMorphoBlue.sol";
import {IUniswapV3Pool} from "../interfaces/IUniswapV3Pool.sol";

/**
 * @title RepayOnlyFlashReceiver
 * @notice Test-only gas baseline: takes a flash loan from Balancer V2, Morpho Blue, Aave V3 or a Uniswap V3 pool and
 * does nothing in the callback but repay it. bench/gas.ts measures it as `bareFlash`, the cost of the loan alone,
 * which it subtracts from the executor's transaction to isolate the executor's own overhead.
 * @dev Deliberately minimal: no storage, no events, no authentication (a production receiver must authenticate; this
 * one holds only the fee money the bench sends it). Any fee must already sit in this contract.
 */
contract RepayOnlyFlashReceiver {
    function borrowFromBalancer(address vault, address token, uint256 amount) external {
        address[] memory tokens = new address[](1);
        uint256[] memory amounts = new uint256[](1);
        tokens[0] = token;
        amounts[0] = amount;
        IBalancerVault(vault).flashLoan(address(this), tokens, amounts, "");
    }

    function borrowFromMorpho(address morpho, address token, uint256 amount) external {
        IMorphoBlue(morpho).flashLoan(token, amount, abi.encode(token));
    }

    function borrowFromAave(address pool, address token, uint256 amount) external {
        IAaveV3Pool(pool).flashLoanSimple(address(this), token, amount, "", 0);
    }

    function borrowFromUniswap(address pool, address token, uint256 amount) external {
        bool isToken0 = IUniswapV3Pool(pool).token0() == token;
        IUniswapV3Pool(pool).flash(address(this), isToken0 ? amount : 0, isToken0 ? 0 : amount, abi.encode(token, amount));
    }

    function receiveFlashLoan(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata feeAmounts,
        bytes calldata
    ) external {
        IERC20(tokens[0]).transfer(msg.sender, amounts[0] + feeAmounts[0]);
    }

    function onMorphoFlashLoan(uint256 assets, bytes calldata data) external {
        IERC20(abi.decode(data, (address))).approve(msg.sender, assets);
    }

    function executeOperation(address asset, uint256 amount, uint256 premium, address, bytes calldata)
        external
        returns (bool)
    {
        IERC20(asset).approve(msg.sender, amount + premium);
        return true;
    }

    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) external {
        (address token, uint256 amount) = abi.decode(data, (address, uint256));
        IERC20(token).transfer(msg.sender, amount + fee0 + fee1);
    }
}
