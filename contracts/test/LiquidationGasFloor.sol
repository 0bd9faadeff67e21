// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAaveV3Pool} from "../interfaces/IAaveV3Pool.sol";
import {IBalancerVault} from "../interfaces/IBalancerVault.sol";
import {IMorphoBlue} from "../interfaces/IMorphoBlue.sol";
import {ISwapRouter02} from "../interfaces/ISwapRouter02.sol";
import {IUniswapV3Pool} from "../interfaces/IUniswapV3Pool.sol";

/**
 * @title LiquidationGasFloor
 * @notice Test-only gas baseline: the cheapest contract that does what one ChimeraExecutor plan does on chain, in ONE
 * transaction: take a flash loan (Balancer V2, Morpho Blue, Aave V3 or a Uniswap V3 pool), call Aave V3's
 * `liquidationCall`, sell every seized collateral unit on Uniswap's SwapRouter02 and repay the loan. bench/gas.ts
 * subtracts its gas from the executor's to report `overheadVsFloor`: what the executor's guards, accounting, events and
 * payout cost, with the lender, pool, tokens and router warmed exactly as they are for the executor.
 * @dev Deliberately unguarded and unsafe: no roles, no callback authentication, no allowlist, no balance checks, no
 * events, the profit stays here (the executor pays it to its treasury; that transfer is part of its overhead).
 * Approvals are exact and made in the transaction, as the executor's are, so both contracts make the same token
 * storage writes. Never deploy it outside tests.
 */
contract LiquidationGasFloor {
    uint8 private constant BALANCER_V2 = 1;
    uint8 private constant MORPHO_BLUE = 2;
    uint8 private constant AAVE_V3 = 3;

    /// @notice What the flash callback needs; the same fields the executor's plan carries for this liquidation.
    struct Job {
        address pool;
        address borrower;
        address collateral;
        address debt;
        uint256 debtToCover;
        address router;
        bytes path;
    }

    /// @notice Borrows `job.debtToCover` of `job.debt` from `lender` (a `source` of the executor's FlashSource enum,
    ///         Uniswap V3 for any value above Aave V3), liquidates and sells inside the callback, repays.
    function liquidate(uint8 source, address lender, Job calldata job) external {
        bytes memory data = abi.encode(job);
        if (source == BALANCER_V2) {
            address[] memory tokens = new address[](1);
            uint256[] memory amounts = new uint256[](1);
            tokens[0] = job.debt;
            amounts[0] = job.debtToCover;
            IBalancerVault(lender).flashLoan(address(this), tokens, amounts, data);
        } else if (source == MORPHO_BLUE) {
            IMorphoBlue(lender).flashLoan(job.debt, job.debtToCover, data);
        } else if (source == AAVE_V3) {
            IAaveV3Pool(lender).flashLoanSimple(address(this), job.debt, job.debtToCover, data, 0);
        } else {
            bool isToken0 = IUniswapV3Pool(lender).token0() == job.debt;
            IUniswapV3Pool(lender).flash(address(this), isToken0 ? job.debtToCover : 0, isToken0 ? 0 : job.debtToCover, data);
        }
    }

    function receiveFlashLoan(address[] calldata, uint256[] calldata amounts, uint256[] calldata fees, bytes calldata data)
        external
    {
        Job memory job = _liquidateAndSell(data);
        IERC20(job.debt).transfer(msg.sender, amounts[0] + fees[0]);
    }

    function onMorphoFlashLoan(uint256 assets, bytes calldata data) external {
        Job memory job = _liquidateAndSell(data);
        IERC20(job.debt).approve(msg.sender, assets);
    }

    function executeOperation(address, uint256 amount, uint256 premium, address, bytes calldata data)
        external
        returns (bool)
    {
        Job memory job = _liquidateAndSell(data);
        IERC20(job.debt).approve(msg.sender, amount + premium);
        return true;
    }

    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) external {
        Job memory job = _liquidateAndSell(data);
        IERC20(job.debt).transfer(msg.sender, job.debtToCover + fee0 + fee1);
    }

    function _liquidateAndSell(bytes calldata data) private returns (Job memory job) {
        job = abi.decode(data, (Job));
        IERC20(job.debt).approve(job.pool, job.debtToCover);
        IAaveV3Pool(job.pool).liquidationCall(job.collateral, job.debt, job.borrower, job.debtToCover, false);
        uint256 seized = IERC20(job.collateral).balanceOf(address(this));
        IERC20(job.collateral).approve(job.router, seized);
        ISwapRouter02(job.router).exactInput(
            ISwapRouter02.ExactInputParams({path: job.path, recipient: address(this), amountIn: seized, amountOutMinimum: 0})
        );
    }
}
