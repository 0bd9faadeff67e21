// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @dev The Chainlink reads the wrapper makes of the feed it delays (the sandbox's MockV3Aggregator).
interface IOevWrappedFeed {
    function decimals() external view returns (uint8);
    function latestRound() external view returns (uint256);
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80);
}

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
contract MoonwellOevWrapperDouble {
    using SafeERC20 for IERC20;

    uint16 public constant MAX_BPS = 10_000;

    IOevWrappedFeed public immutable priceFeed;
    IOevWrapperOracle public immutable chainlinkOracle;
    address public feeRecipient;
    uint16 public liquidatorFeeBps;
    uint256 public maxRoundDelay;
    uint256 public maxDecrements;
    uint256 public cachedRoundId;

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
    ) {
        require(feeBps <= MAX_BPS, "ChainlinkOEVWrapper: fee multiplier cannot be greater than MAX_BPS");
        require(roundDelay > 0, "ChainlinkOEVWrapper: max round delay cannot be zero");
        require(decrements > 0, "ChainlinkOEVWrapper: max decrements cannot be zero");
        priceFeed = IOevWrappedFeed(feed);
        chainlinkOracle = IOevWrapperOracle(oracle);
        feeRecipient = recipient;
        liquidatorFeeBps = feeBps;
        maxRoundDelay = roundDelay;
        maxDecrements = decrements;
        cachedRoundId = IOevWrappedFeed(feed).latestRound();
    }

    function setLiquidatorFeeBps(uint16 feeBps) external {
        require(feeBps <= MAX_BPS, "ChainlinkOEVWrapper: liquidator fee cannot be greater than MAX_BPS");
        liquidatorFeeBps = feeBps;
    }

    function setMaxRoundDelay(uint256 roundDelay) external {
        require(roundDelay > 0, "ChainlinkOEVWrapper: max round delay cannot be zero");
        maxRoundDelay = roundDelay;
    }

    function decimals() external view returns (uint8) {
        return priceFeed.decimals();
    }

    function latestRound() external view returns (uint256) {
        return priceFeed.latestRound();
    }

    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        return priceFeed.getRoundData(roundId);
    }

    struct Round {
        uint80 roundId;
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        uint80 answeredInRound;
    }

    /// @notice The feed's newest round once unlocked or `maxRoundDelay` old; until then the round before it.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round memory round;
        (round.roundId, round.answer, round.startedAt, round.updatedAt, round.answeredInRound) = priceFeed.latestRoundData();
        if (round.roundId != cachedRoundId && block.timestamp < round.updatedAt + maxRoundDelay) {
            round = _previousRound(round);
        }
        _validate(round.roundId, round.answer, round.updatedAt, round.answeredInRound);
        return (round.roundId, round.answer, round.startedAt, round.updatedAt, round.answeredInRound);
    }

    /// @dev The newest round before `newest` the feed answers, searching at most `maxDecrements` back; `newest` if none.
    function _previousRound(Round memory newest) private view returns (Round memory round) {
        round = newest;
        uint256 previous = uint256(newest.roundId) - 1;
        for (uint256 i; i < maxDecrements && previous > 0; ++i) {
            try priceFeed.getRoundData(uint80(previous)) returns (uint80 r, int256 a, uint256 s, uint256 u, uint80 ar) {
                return Round(r, a, s, u, ar);
            } catch {
                --previous;
            }
        }
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

        (uint80 roundId, int256 answer, , uint256 updatedAt, uint80 answeredInRound) = priceFeed.latestRoundData();
        _validate(roundId, answer, updatedAt, answeredInRound);
        cachedRoundId = roundId;

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
        uint256 collateralPrice = (uint256(answer) * 10 ** (18 - uint256(priceFeed.decimals()))) *
            10 ** (18 - uint256(collateral.decimals()));
        uint256 repayValue = repayAmount * loanPrice;
        uint256 collateralValue = received * collateralPrice;
        uint256 liquidatorValue = repayValue + ((collateralValue - repayValue) * liquidatorFeeBps) / MAX_BPS;
        liquidatorFee = liquidatorValue / collateralPrice;
        protocolFee = received - liquidatorFee;
    }

    function _validate(uint80 roundId, int256 answer, uint256 updatedAt, uint80 answeredInRound) private pure {
        require(answer > 0, "Chainlink price cannot be lower or equal to 0");
        require(updatedAt != 0, "Round is in incompleted state");
        require(answeredInRound >= roundId, "Stale price");
    }
}
