// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @dev The Chainlink read the comptroller double prices markets with (the sandbox's MockV3Aggregator feeds).
interface IChainlinkAnswer {
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}

/**
 * @title CompoundV2ComptrollerDouble
 * @notice TEST DOUBLE. Compound v2 / Moonwell ship no bytecode on npm, so the executor's Compound-v2 path is unit-tested
 * against this minimal re-implementation of the comptroller rules a liquidation depends on: account liquidity from
 * collateral factors and Chainlink prices, the close factor, the liquidation incentive, and the seize-token formula.
 * Error codes are Compound's ComptrollerErrorReporter values. Real Moonwell is exercised by the fork tests.
 * @dev No interest accrual, no market entry (every listed market counts as collateral), no pause guardians.
 */
contract CompoundV2ComptrollerDouble {
    uint256 private constant NO_ERROR = 0;
    uint256 private constant INSUFFICIENT_SHORTFALL = 3;
    uint256 private constant INSUFFICIENT_LIQUIDITY = 4;
    uint256 private constant MARKET_NOT_LISTED = 9;
    uint256 private constant TOO_MUCH_REPAY = 17;
    uint256 private constant MANTISSA = 1e18;

    struct Market {
        bool listed;
        uint256 collateralFactorMantissa;
        address priceFeed;
        uint8 underlyingDecimals;
    }

    uint256 public immutable closeFactorMantissa;
    uint256 public immutable liquidationIncentiveMantissa;
    mapping(address market => Market) public markets;
    address[] private allMarkets;

    constructor(uint256 closeFactor, uint256 liquidationIncentive) {
        closeFactorMantissa = closeFactor;
        liquidationIncentiveMantissa = liquidationIncentive;
    }

    function listMarket(address market, uint256 collateralFactor, address priceFeed, uint8 underlyingDecimals) external {
        markets[market] = Market(true, collateralFactor, priceFeed, underlyingDecimals);
        allMarkets.push(market);
    }

    function getAllMarkets() external view returns (address[] memory) {
        return allMarkets;
    }

    /// @notice USD (18 decimals) per raw unit of the market's underlying, times 1e18: Compound's price mantissa.
    function underlyingPriceMantissa(address market) public view returns (uint256) {
        Market storage config = markets[market];
        (, int256 answer, , , ) = IChainlinkAnswer(config.priceFeed).latestRoundData();
        // 8-decimal feed -> 1e18 USD per whole token -> per raw unit (scaled by another 1e18).
        return (uint256(answer) * 1e10 * MANTISSA) / (10 ** config.underlyingDecimals);
    }

    function getAccountLiquidity(address account) external view returns (uint256, uint256, uint256) {
        return getHypotheticalAccountLiquidity(account, address(0), 0, 0);
    }

    /// @notice Liquidity / shortfall (USD, 18 decimals) if `account` redeemed `redeemTokens` of, or borrowed
    ///         `borrowAmount` more from, `marketModify`.
    function getHypotheticalAccountLiquidity(
        address account,
        address marketModify,
        uint256 redeemTokens,
        uint256 borrowAmount
    ) public view returns (uint256, uint256, uint256) {
        uint256 collateralUsd;
        uint256 borrowUsd;
        for (uint256 i; i < allMarkets.length; ++i) {
            address market = allMarkets[i];
            (, uint256 tokens, uint256 borrowed, uint256 rate) = CompoundV2MarketDouble(market).getAccountSnapshot(account);
            uint256 price = underlyingPriceMantissa(market);
            if (market == marketModify) {
                tokens -= redeemTokens;
                borrowed += borrowAmount;
            }
            uint256 underlyingAmount = (tokens * rate) / MANTISSA;
            collateralUsd += (underlyingAmount * price / MANTISSA) * markets[market].collateralFactorMantissa / MANTISSA;
            borrowUsd += (borrowed * price) / MANTISSA;
        }
        return collateralUsd >= borrowUsd
            ? (NO_ERROR, collateralUsd - borrowUsd, uint256(0))
            : (NO_ERROR, uint256(0), borrowUsd - collateralUsd);
    }

    function borrowAllowed(address market, address borrower, uint256 amount) external view returns (uint256) {
        if (!markets[market].listed) return MARKET_NOT_LISTED;
        (, , uint256 shortfall) = getHypotheticalAccountLiquidity(borrower, market, 0, amount);
        return shortfall > 0 ? INSUFFICIENT_LIQUIDITY : NO_ERROR;
    }

    function redeemAllowed(address market, address redeemer, uint256 redeemTokens) external view returns (uint256) {
        if (!markets[market].listed) return MARKET_NOT_LISTED;
        (, , uint256 shortfall) = getHypotheticalAccountLiquidity(redeemer, market, redeemTokens, 0);
        return shortfall > 0 ? INSUFFICIENT_LIQUIDITY : NO_ERROR;
    }

    function liquidateBorrowAllowed(
        address debtMarket,
        address collateralMarket,
        address borrower,
        uint256 repayAmount
    ) external view returns (uint256) {
        if (!markets[debtMarket].listed || !markets[collateralMarket].listed) return MARKET_NOT_LISTED;
        (, , uint256 shortfall) = getHypotheticalAccountLiquidity(borrower, address(0), 0, 0);
        if (shortfall == 0) return INSUFFICIENT_SHORTFALL;
        uint256 borrowed = CompoundV2MarketDouble(debtMarket).borrowBalanceStored(borrower);
        if (repayAmount > (borrowed * closeFactorMantissa) / MANTISSA) return TOO_MUCH_REPAY;
        return NO_ERROR;
    }

    /// @notice Compound's formula: repay * priceBorrowed * incentive / (priceCollateral * exchangeRate).
    function liquidateCalculateSeizeTokens(
        address debtMarket,
        address collateralMarket,
        uint256 repayAmount
    ) external view returns (uint256, uint256) {
        uint256 numerator = liquidationIncentiveMantissa * underlyingPriceMantissa(debtMarket);
        uint256 denominator = underlyingPriceMantissa(collateralMarket) *
            CompoundV2MarketDouble(collateralMarket).exchangeRateStored();
        return (NO_ERROR, (repayAmount * numerator) / denominator);
    }
}

/**
 * @title CompoundV2MarketDouble
 * @notice TEST DOUBLE of a Compound v2 CErc20 / Moonwell MErc20 market (see CompoundV2ComptrollerDouble for why it
 * exists). Same ABI for what the executor and keeper call (`liquidateBorrow` on the debt market, `redeem` on the
 * collateral market, `balanceOf`, `underlying`, `borrowBalanceStored`, `getAccountSnapshot`), Compound's return-code
 * convention (TokenErrorReporter values: 3 COMPTROLLER_REJECTION, 6 INVALID_ACCOUNT_PAIR, 7 INVALID_CLOSE_AMOUNT_REQUESTED,
 * 14 TOKEN_INSUFFICIENT_CASH), and Moonwell's protocol seize share (3% of seized shares go to reserves).
 * @dev Fixed exchange rate and no interest: the executor's behaviour does not depend on either.
 */
contract CompoundV2MarketDouble {
    using SafeERC20 for IERC20;

    uint256 private constant NO_ERROR = 0;
    uint256 private constant COMPTROLLER_REJECTION = 3;
    uint256 private constant INVALID_ACCOUNT_PAIR = 6;
    uint256 private constant INVALID_CLOSE_AMOUNT_REQUESTED = 7;
    uint256 private constant TOKEN_INSUFFICIENT_CASH = 14;
    uint256 private constant MANTISSA = 1e18;

    string public name;
    string public symbol;
    uint8 public constant decimals = 8;
    address public immutable underlying;
    CompoundV2ComptrollerDouble public immutable comptroller;
    uint256 public immutable exchangeRateStored;
    uint256 public constant protocolSeizeShareMantissa = 0.03e18;

    uint256 public totalSupply;
    uint256 public totalBorrows;
    uint256 public totalReserves;
    mapping(address account => uint256) public balanceOf;
    mapping(address account => uint256) public borrowBalanceStored;
    /// @dev mTokens are ERC-20s; nothing here spends allowances, but approvals are recorded like the real market.
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 amount);
    event Approval(address indexed owner, address indexed spender, uint256 amount);
    event LiquidateBorrow(address liquidator, address borrower, uint256 repayAmount, address cTokenCollateral, uint256 seizeTokens);

    constructor(
        string memory marketName,
        string memory marketSymbol,
        address underlyingToken,
        CompoundV2ComptrollerDouble marketComptroller,
        uint256 exchangeRateMantissa
    ) {
        name = marketName;
        symbol = marketSymbol;
        underlying = underlyingToken;
        comptroller = marketComptroller;
        exchangeRateStored = exchangeRateMantissa;
    }

    function getCash() public view returns (uint256) {
        return IERC20(underlying).balanceOf(address(this));
    }

    function getAccountSnapshot(address account) external view returns (uint256, uint256, uint256, uint256) {
        return (NO_ERROR, balanceOf[account], borrowBalanceStored[account], exchangeRateStored);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function mint(uint256 amount) external returns (uint256) {
        IERC20(underlying).safeTransferFrom(msg.sender, address(this), amount);
        uint256 tokens = (amount * MANTISSA) / exchangeRateStored;
        totalSupply += tokens;
        balanceOf[msg.sender] += tokens;
        emit Transfer(address(this), msg.sender, tokens);
        return NO_ERROR;
    }

    function redeem(uint256 redeemTokens) external returns (uint256) {
        if (comptroller.redeemAllowed(address(this), msg.sender, redeemTokens) != NO_ERROR) return COMPTROLLER_REJECTION;
        uint256 amount = (redeemTokens * exchangeRateStored) / MANTISSA;
        if (getCash() < amount) return TOKEN_INSUFFICIENT_CASH;
        balanceOf[msg.sender] -= redeemTokens;
        totalSupply -= redeemTokens;
        emit Transfer(msg.sender, address(this), redeemTokens);
        IERC20(underlying).safeTransfer(msg.sender, amount);
        return NO_ERROR;
    }

    function borrow(uint256 amount) external returns (uint256) {
        if (comptroller.borrowAllowed(address(this), msg.sender, amount) != NO_ERROR) return COMPTROLLER_REJECTION;
        if (getCash() < amount) return TOKEN_INSUFFICIENT_CASH;
        borrowBalanceStored[msg.sender] += amount;
        totalBorrows += amount;
        IERC20(underlying).safeTransfer(msg.sender, amount);
        return NO_ERROR;
    }

    /// @notice Repays `repayAmount` of `borrower`'s debt in this market and seizes `cTokenCollateral` shares from them.
    function liquidateBorrow(address borrower, uint256 repayAmount, address cTokenCollateral) external returns (uint256) {
        if (borrower == msg.sender) return INVALID_ACCOUNT_PAIR;
        if (repayAmount == 0 || repayAmount == type(uint256).max) return INVALID_CLOSE_AMOUNT_REQUESTED;
        if (comptroller.liquidateBorrowAllowed(address(this), cTokenCollateral, borrower, repayAmount) != NO_ERROR) {
            return COMPTROLLER_REJECTION;
        }
        IERC20(underlying).safeTransferFrom(msg.sender, address(this), repayAmount);
        borrowBalanceStored[borrower] -= repayAmount;
        totalBorrows -= repayAmount;

        (, uint256 seizeTokens) = comptroller.liquidateCalculateSeizeTokens(address(this), cTokenCollateral, repayAmount);
        require(CompoundV2MarketDouble(cTokenCollateral).balanceOf(borrower) >= seizeTokens, "LIQUIDATE_SEIZE_TOO_MUCH");
        uint256 seizeError = cTokenCollateral == address(this)
            ? _seize(msg.sender, borrower, seizeTokens)
            : CompoundV2MarketDouble(cTokenCollateral).seize(msg.sender, borrower, seizeTokens);
        require(seizeError == NO_ERROR, "token seizure failed");
        emit LiquidateBorrow(msg.sender, borrower, repayAmount, cTokenCollateral, seizeTokens);
        return NO_ERROR;
    }

    /// @notice Called by the debt market of a liquidation: moves seized shares from `borrower` to `liquidator`.
    function seize(address liquidator, address borrower, uint256 seizeTokens) external returns (uint256) {
        (bool listed, , , ) = comptroller.markets(msg.sender);
        require(listed, "seize: caller is not a listed market");
        return _seize(liquidator, borrower, seizeTokens);
    }

    function _seize(address liquidator, address borrower, uint256 seizeTokens) private returns (uint256) {
        uint256 protocolTokens = (seizeTokens * protocolSeizeShareMantissa) / MANTISSA;
        uint256 liquidatorTokens = seizeTokens - protocolTokens;
        balanceOf[borrower] -= seizeTokens;
        balanceOf[liquidator] += liquidatorTokens;
        totalSupply -= protocolTokens;
        totalReserves += (protocolTokens * exchangeRateStored) / MANTISSA;
        emit Transfer(borrower, liquidator, liquidatorTokens);
        return NO_ERROR;
    }
}
