// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OevDelayedFeedDouble} from "./OevDelayedFeedDouble.sol";

/// @dev What the wrapper asks Moonwell's ChainlinkOracle (MoonwellChainlinkOracleDouble here).
interface IOevWrapperOracle {
    function getFeed(string memory symbol) external view returns (address);
    function getUnderlyingPrice(address mToken) external view returns (uint256);
}

/// @dev The mToken calls the wrapper makes (MoonwellMTokenDouble here).
interface IOevWrapperMToken {
    function underlying() external view returns (address);
    function balanceOf(address owner) external view returns (uint256);
    function liquidateBorrow(address borrower, uint256 repayAmount, address mTokenCollateral) external returns (uint256);
    function redeem(uint256 redeemTokens) external returns (uint256);
}

/**
 * @title MoonwellOevWrapperDouble
 * @notice TEST DOUBLE of Moonwell's OEV wrapper (`ChainlinkOEVWrapper`, moonwell-fi/moonwell-contracts-v2
 * src/oracles/ChainlinkOEVWrapper.sol, the version with `liquidatorFeeBps` and `feeRecipient` deployed on Base), which
 * ships no bytecode on npm. Written from its documented behaviour (docs.moonwell.fi → developers → protocol → OEV, and
 * the source's NatSpec), not copied:
 * - it is the feed Moonwell's oracle reads for one asset (`getFeed(symbol)` returns the wrapper);
 * - `latestRoundData()` answers the feed's previous round while the newest round is younger than `maxRoundDelay`
 *   seconds and was not unlocked (`cachedRoundId` differs), searching back at most `maxDecrements` rounds;
 * - `updatePriceEarlyAndLiquidate(borrower, repayAmount, mTokenCollateral, mTokenLoan)` requires the collateral's
 *   oracle feed to be this wrapper, pulls `repayAmount` of the loan underlying from the caller, unlocks the newest round,
 *   liquidates on `mTokenLoan`, redeems the seized mTokens, and splits the redeemed collateral: the caller gets
 *   collateral worth the repayment plus `liquidatorFeeBps` / 10,000 of the remainder (priced with the fresh answer and
 *   the oracle's loan price), `feeRecipient` the rest. No ETH is charged.
 * @dev Used by the executor's unit tests, the sandbox scenarios and the keeper's OEV tests; fork tests use the deployed
 * wrappers. Owner-settable parameters are settable by anyone here (test-only); no ETH branch (mWETH unwrapping).
 */
contract MoonwellOevWrapperDouble is OevDelayedFeedDouble {
    using SafeERC20 for IERC20;

    IOevWrapperOracle public immutable chainlinkOracle;

    event PriceUpdatedEarlyAndLiquidated(
        address indexed borrower,
        uint256 repayAmount,
        address mTokenCollateral,
        address mTokenLoan,
        uint256 protocolFee,
        uint256 liquidatorFee
    );

    constructor(
        address feed,
        address oracle,
        address recipient,
        uint16 feeBps,
        uint256 roundDelay,
        uint256 decrements
    ) OevDelayedFeedDouble(feed, recipient, feeBps, roundDelay, decrements) {
        chainlinkOracle = IOevWrapperOracle(oracle);
    }

    function updatePriceEarlyAndLiquidate(
        address borrower,
        uint256 repayAmount,
        address mTokenCollateral,
        address mTokenLoan
    ) external {
        require(repayAmount > 0, "ChainlinkOEVWrapper: repay amount cannot be zero");
        require(borrower != address(0), "ChainlinkOEVWrapper: borrower cannot be zero address");
        require(mTokenCollateral != address(0), "ChainlinkOEVWrapper: mToken collateral cannot be zero address");
        require(mTokenLoan != address(0), "ChainlinkOEVWrapper: mToken loan cannot be zero address");
        IERC20 loan = IERC20(IOevWrapperMToken(mTokenLoan).underlying());
        IERC20Metadata collateral = IERC20Metadata(IOevWrapperMToken(mTokenCollateral).underlying());
        require(
            chainlinkOracle.getFeed(collateral.symbol()) == address(this),
            "ChainlinkOEVWrapper: chainlink oracle feed does not match"
        );
        loan.safeTransferFrom(msg.sender, address(this), repayAmount);
        int256 answer = _unlockNewestRound();

        uint256 received = _liquidateAndRedeem(borrower, repayAmount, mTokenCollateral, mTokenLoan, loan, collateral);
        (uint256 liquidatorFee, uint256 protocolFee) = _split(repayAmount, answer, received, mTokenLoan, collateral);
        IERC20(address(collateral)).safeTransfer(msg.sender, liquidatorFee);
        IERC20(address(collateral)).safeTransfer(feeRecipient, protocolFee);
        emit PriceUpdatedEarlyAndLiquidated(borrower, repayAmount, mTokenCollateral, mTokenLoan, protocolFee, liquidatorFee);
    }

    function _liquidateAndRedeem(
        address borrower,
        uint256 repayAmount,
        address mTokenCollateral,
        address mTokenLoan,
        IERC20 loan,
        IERC20Metadata collateral
    ) private returns (uint256 received) {
        uint256 collateralBefore = collateral.balanceOf(address(this));
        uint256 sharesBefore = IOevWrapperMToken(mTokenCollateral).balanceOf(address(this));
        loan.forceApprove(mTokenLoan, repayAmount);
        require(
            IOevWrapperMToken(mTokenLoan).liquidateBorrow(borrower, repayAmount, mTokenCollateral) == 0,
            "ChainlinkOEVWrapper: liquidation failed"
        );
        uint256 shares = IOevWrapperMToken(mTokenCollateral).balanceOf(address(this)) - sharesBefore;
        require(IOevWrapperMToken(mTokenCollateral).redeem(shares) == 0, "ChainlinkOEVWrapper: redemption failed");
        received = collateral.balanceOf(address(this)) - collateralBefore;
    }

    /// @dev Liquidator: collateral worth the repayment plus `liquidatorFeeBps` of the rest, in USD at the fresh answer.
    function _split(
        uint256 repayAmount,
        int256 answer,
        uint256 received,
        address mTokenLoan,
        IERC20Metadata collateral
    ) private view returns (uint256 liquidatorFee, uint256 protocolFee) {
        uint256 loanPrice = chainlinkOracle.getUnderlyingPrice(mTokenLoan);
        uint256 collateralPrice = _pricePerUnit(uint256(answer), priceFeed.decimals(), collateral.decimals());
        uint256 repayValue = repayAmount * loanPrice;
        uint256 collateralValue = received * collateralPrice;
        uint256 liquidatorValue = repayValue + ((collateralValue - repayValue) * liquidatorFeeBps) / MAX_BPS;
        liquidatorFee = liquidatorValue / collateralPrice;
        protocolFee = received - liquidatorFee;
    }
}
