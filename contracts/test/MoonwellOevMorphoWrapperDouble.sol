// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMorphoBlue, MarketParams} from "../interfaces/IMorphoBlue.sol";
import {IMorphoChainlinkOracleV2} from "../interfaces/IMorphoChainlinkOracleV2.sol";
import {OevDelayedFeedDouble} from "./OevDelayedFeedDouble.sol";

/**
 * @title MoonwellOevMorphoWrapperDouble
 * @notice TEST DOUBLE of Moonwell's OEV wrapper for its Morpho Blue markets (`ChainlinkOEVMorphoWrapper`,
 * moonwell-fi/moonwell-contracts-v2 src/oracles/ChainlinkOEVMorphoWrapper.sol, read at commit 047e46de), which ships no
 * bytecode on npm. Written from its documented behaviour (docs.moonwell.fi → developers → protocol → OEV → "Morpho
 * Markets", and the source's NatSpec; docs/oev.md), not copied. Besides the delayed `latestRoundData` it shares with the
 * Core wrapper (OevDelayedFeedDouble), `updatePriceEarlyAndLiquidate(marketParams, borrower, seizedAssets, maxRepayAmount)`:
 * 1. refuses a zero borrower, seizure or repayment, a market whose id is not in `approvedMarkets`, and a market whose
 *    oracle's `BASE_FEED_1` is not this wrapper;
 * 2. unlocks the feed's newest round (`cachedRoundId`), pulls `maxRepayAmount` of the loan token from the caller,
 *    approves Morpho, calls `liquidate(marketParams, borrower, seizedAssets, 0, "")`, clears that approval and
 *    transfers back what Morpho did not take;
 * 3. pays the caller collateral worth the repayment plus `liquidatorFeeBps` / 10,000 of the rest (valued at the fresh
 *    answer and the oracle's `QUOTE_FEED_1`, which must be set while `BASE_FEED_2` and `QUOTE_FEED_2` must not), all of
 *    the seizure when it is worth no more than the repayment; `feeRecipient` gets the remainder. No ETH is charged.
 * @dev Test-only: owner-settable parameters are settable by anyone here. Used by the executor's unit tests and the
 * keeper's Morpho OEV tests on genuine Morpho Blue bytecode.
 */
contract MoonwellOevMorphoWrapperDouble is OevDelayedFeedDouble {
    using SafeERC20 for IERC20;

    IMorphoBlue public immutable morphoBlue;
    mapping(bytes32 marketId => bool) public approvedMarkets;

    event PriceUpdatedEarlyAndLiquidated(
        address indexed borrower,
        uint256 seizedAssets,
        uint256 repaidAssets,
        uint256 protocolFee,
        uint256 liquidatorFee
    );

    constructor(
        address feed,
        address morpho,
        address recipient,
        uint16 feeBps,
        uint256 roundDelay,
        uint256 decrements
    ) OevDelayedFeedDouble(feed, recipient, feeBps, roundDelay, decrements) {
        morphoBlue = IMorphoBlue(morpho);
    }

    function setApprovedMarket(bytes32 id, bool approved) external {
        require(approvedMarkets[id] != approved, "ChainlinkOEVMorphoWrapper: market approval unchanged");
        approvedMarkets[id] = approved;
    }

    function updatePriceEarlyAndLiquidate(
        MarketParams memory marketParams,
        address borrower,
        uint256 seizedAssets,
        uint256 maxRepayAmount
    ) external {
        require(borrower != address(0), "ChainlinkOEVMorphoWrapper: borrower cannot be zero address");
        require(seizedAssets > 0, "ChainlinkOEVMorphoWrapper: seized assets cannot be zero");
        require(maxRepayAmount > 0, "ChainlinkOEVMorphoWrapper: max repay amount cannot be zero");
        require(approvedMarkets[keccak256(abi.encode(marketParams))], "ChainlinkOEVMorphoWrapper: market not approved");
        require(
            address(IMorphoChainlinkOracleV2(marketParams.oracle).BASE_FEED_1()) == address(this),
            "ChainlinkOEVMorphoWrapper: oracle must be the same as the base feed 1"
        );
        int256 answer = _unlockNewestRound();

        IERC20 loan = IERC20(marketParams.loanToken);
        loan.safeTransferFrom(msg.sender, address(this), maxRepayAmount);
        loan.forceApprove(address(morphoBlue), maxRepayAmount);
        (uint256 seized, uint256 repaid) = morphoBlue.liquidate(marketParams, borrower, seizedAssets, 0, "");
        loan.forceApprove(address(morphoBlue), 0);
        require(repaid <= maxRepayAmount, "ChainlinkOEVMorphoWrapper: repaid amount exceeds maximum");
        if (maxRepayAmount > repaid) loan.safeTransfer(msg.sender, maxRepayAmount - repaid);

        (uint256 liquidatorFee, uint256 protocolFee) = _split(repaid, answer, seized, marketParams);
        IERC20(marketParams.collateralToken).safeTransfer(msg.sender, liquidatorFee);
        IERC20(marketParams.collateralToken).safeTransfer(feeRecipient, protocolFee);
        emit PriceUpdatedEarlyAndLiquidated(borrower, seized, repaid, protocolFee, liquidatorFee);
    }

    /// @dev Liquidator: collateral worth the repayment plus `liquidatorFeeBps` of the rest (all of it when the seizure is
    ///      worth no more than the repayment), in 1e18 USD at the fresh answer and QUOTE_FEED_1's.
    function _split(
        uint256 repaid,
        int256 answer,
        uint256 seized,
        MarketParams memory marketParams
    ) private view returns (uint256 liquidatorFee, uint256 protocolFee) {
        uint256 collateralPrice = _pricePerUnit(
            uint256(answer),
            priceFeed.decimals(),
            IERC20Metadata(marketParams.collateralToken).decimals()
        );
        uint256 repayUsd = (repaid * _loanPrice(marketParams)) / 1e18;
        uint256 collateralUsd = (seized * collateralPrice) / 1e18;
        if (collateralUsd <= repayUsd) return (seized, 0);
        uint256 liquidatorUsd = repayUsd + ((collateralUsd - repayUsd) * liquidatorFeeBps) / MAX_BPS;
        liquidatorFee = (liquidatorUsd * 1e18) / collateralPrice;
        protocolFee = seized - liquidatorFee;
    }

    /// @dev The loan token's price per raw unit (1e18 USD) from the market oracle's QUOTE_FEED_1, a plain Chainlink feed.
    function _loanPrice(MarketParams memory marketParams) private view returns (uint256) {
        IMorphoChainlinkOracleV2 oracle = IMorphoChainlinkOracleV2(marketParams.oracle);
        address loanFeed = address(oracle.QUOTE_FEED_1());
        require(loanFeed != address(0), "ChainlinkOEVMorphoWrapper: loan feed not set");
        require(address(oracle.QUOTE_FEED_2()) == address(0), "ChainlinkOEVMorphoWrapper: chained quote feeds unsupported");
        require(address(oracle.BASE_FEED_2()) == address(0), "ChainlinkOEVMorphoWrapper: chained base feeds unsupported");
        (uint80 roundId, int256 loanAnswer, , uint256 updatedAt, uint80 answeredInRound) = IOevLoanFeed(loanFeed)
            .latestRoundData();
        _validate(roundId, loanAnswer, updatedAt, answeredInRound);
        return
            _pricePerUnit(uint256(loanAnswer), IOevLoanFeed(loanFeed).decimals(), IERC20Metadata(marketParams.loanToken).decimals());
    }
}

/// @dev The reads the wrapper makes of the loan feed (QUOTE_FEED_1).
interface IOevLoanFeed {
    function decimals() external view returns (uint8);
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}

