// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @dev The Chainlink read the oracle double makes (the sandbox's MockV3Aggregator feeds).
interface IMoonwellDoubleFeed {
    function decimals() external view returns (uint8);
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}

/**
 * @title MoonwellChainlinkOracleDouble
 * @notice TEST DOUBLE of Moonwell's ChainlinkOracle (moonwell-fi/moonwell-contracts-v2 src/oracles/ChainlinkOracle.sol),
 * which ships no bytecode on npm. Same getters and price formula the keeper's Compound-v2 plug-in reads:
 * `getUnderlyingPrice(mToken)` = feed answer scaled to 18 decimals, times 10^(18 - underlying decimals), unless a
 * direct price was posted for the underlying. Used by the keeper's and the executor's unit tests and the sandbox
 * liquidation scenarios; fork tests use the real oracle.
 * @dev No native-token branch, no admin: anyone may set feeds (test-only).
 */
contract MoonwellChainlinkOracleDouble {
    mapping(bytes32 symbolHash => address feed) private feeds;
    mapping(address asset => uint256 price) public assetPrices;

    event FeedSet(address feed, string symbol);
    event PricePosted(address asset, uint256 previousPriceMantissa, uint256 requestedPriceMantissa, uint256 newPriceMantissa);

    function setFeed(string calldata symbol, address feed) external {
        feeds[keccak256(abi.encodePacked(symbol))] = feed;
        emit FeedSet(feed, symbol);
    }

    function setDirectPrice(address asset, uint256 price) external {
        emit PricePosted(asset, assetPrices[asset], price, price);
        assetPrices[asset] = price;
    }

    function getFeed(string memory symbol) public view returns (address) {
        return feeds[keccak256(abi.encodePacked(symbol))];
    }

    /// @dev Reverts like the real oracle when the feed answers zero or less.
    function getUnderlyingPrice(address mToken) external view returns (uint256) {
        IERC20Metadata token = IERC20Metadata(MoonwellMTokenDouble(mToken).underlying());
        uint256 price = assetPrices[address(token)];
        if (price == 0) {
            IMoonwellDoubleFeed feed = IMoonwellDoubleFeed(getFeed(token.symbol()));
            (, int256 answer, , uint256 updatedAt, ) = feed.latestRoundData();
            require(answer > 0, "Chainlink price cannot be lower than 0");
            require(updatedAt != 0, "Round is in incompleted state");
            price = uint256(answer) * 10 ** (18 - uint256(feed.decimals()));
        }
        return price * 10 ** (18 - uint256(token.decimals()));
    }
}

/**
 * @title MoonwellComptrollerDouble
 * @notice TEST DOUBLE of Moonwell's Comptroller (src/Comptroller.sol), which ships no bytecode on npm. It keeps the ABI
 * and arithmetic the keeper's Compound-v2 plug-in depends on: market membership (`enterMarkets`, `getAssetsIn`, the
 * auto-entry on borrow), `markets()` as (isListed, collateralFactorMantissa), `getAccountLiquidity` with Compound's
 * Exp truncation order, the close factor and liquidation incentive, `liquidateCalculateSeizeTokens`, and the events
 * MarketEntered / MarketExited / NewCollateralFactor. Error codes are ComptrollerErrorReporter values.
 * @dev No pause guardians, caps, rewards or admin checks (test-only).
 */
contract MoonwellComptrollerDouble {
    uint256 private constant EXP_SCALE = 1e18;
    uint256 private constant NO_ERROR = 0;
    uint256 private constant INSUFFICIENT_SHORTFALL = 3;
    uint256 private constant INSUFFICIENT_LIQUIDITY = 4;
    uint256 private constant MARKET_NOT_LISTED = 9;
    uint256 private constant PRICE_ERROR = 13;
    uint256 private constant TOO_MUCH_REPAY = 17;

    struct Market {
        bool isListed;
        uint256 collateralFactorMantissa;
        mapping(address account => bool) accountMembership;
    }

    MoonwellChainlinkOracleDouble public oracle;
    uint256 public closeFactorMantissa;
    uint256 public liquidationIncentiveMantissa;
    mapping(address mToken => Market) public markets;
    mapping(address account => address[]) private accountAssets;
    address[] private allMarkets;

    event MarketListed(address mToken);
    event MarketEntered(address mToken, address account);
    event MarketExited(address mToken, address account);
    event NewCollateralFactor(address mToken, uint256 oldCollateralFactorMantissa, uint256 newCollateralFactorMantissa);

    constructor(MoonwellChainlinkOracleDouble priceOracle, uint256 closeFactor, uint256 liquidationIncentive) {
        oracle = priceOracle;
        closeFactorMantissa = closeFactor;
        liquidationIncentiveMantissa = liquidationIncentive;
    }

    /* ADMINISTRATION (open to anyone: test-only) */

    function _supportMarket(address mToken) external returns (uint256) {
        markets[mToken].isListed = true;
        allMarkets.push(mToken);
        emit MarketListed(mToken);
        return NO_ERROR;
    }

    function _setCollateralFactor(address mToken, uint256 newCollateralFactorMantissa) external returns (uint256) {
        uint256 old = markets[mToken].collateralFactorMantissa;
        markets[mToken].collateralFactorMantissa = newCollateralFactorMantissa;
        emit NewCollateralFactor(mToken, old, newCollateralFactorMantissa);
        return NO_ERROR;
    }

    /* MEMBERSHIP */

    function getAllMarkets() external view returns (address[] memory) {
        return allMarkets;
    }

    function getAssetsIn(address account) external view returns (address[] memory) {
        return accountAssets[account];
    }

    function checkMembership(address account, address mToken) external view returns (bool) {
        return markets[mToken].accountMembership[account];
    }

    function enterMarkets(address[] calldata mTokens) external returns (uint256[] memory results) {
        results = new uint256[](mTokens.length);
        for (uint256 i; i < mTokens.length; ++i) {
            results[i] = _addToMarket(mTokens[i], msg.sender);
        }
    }

    function _addToMarket(address mToken, address account) private returns (uint256) {
        Market storage market = markets[mToken];
        if (!market.isListed) return MARKET_NOT_LISTED;
        if (market.accountMembership[account]) return NO_ERROR;
        market.accountMembership[account] = true;
        accountAssets[account].push(mToken);
        emit MarketEntered(mToken, account);
        return NO_ERROR;
    }

    /* LIQUIDITY (Comptroller.getHypotheticalAccountLiquidityInternal, Exp arithmetic) */

    function getAccountLiquidity(address account) external view returns (uint256, uint256, uint256) {
        return _liquidity(account, address(0), 0, 0);
    }

    function getHypotheticalAccountLiquidity(address account, address mTokenModify, uint256 redeemTokens, uint256 borrowAmount)
        external
        view
        returns (uint256, uint256, uint256)
    {
        return _liquidity(account, mTokenModify, redeemTokens, borrowAmount);
    }

    function _liquidity(address account, address mTokenModify, uint256 redeemTokens, uint256 borrowAmount)
        private
        view
        returns (uint256, uint256, uint256)
    {
        uint256 sumCollateral;
        uint256 sumBorrowPlusEffects;
        address[] memory assets = accountAssets[account];
        for (uint256 i; i < assets.length; ++i) {
            (, uint256 tokens, uint256 borrowBalance, uint256 exchangeRate) = MoonwellMTokenDouble(assets[i]).getAccountSnapshot(account);
            uint256 price = oracle.getUnderlyingPrice(assets[i]);
            if (price == 0) return (PRICE_ERROR, 0, 0);
            // tokensToDenom = collateralFactor * exchangeRate * price, each Exp product truncated to 1e18.
            uint256 tokensToDenom = (((markets[assets[i]].collateralFactorMantissa * exchangeRate) / EXP_SCALE) * price) / EXP_SCALE;
            sumCollateral += (tokensToDenom * tokens) / EXP_SCALE;
            sumBorrowPlusEffects += (price * borrowBalance) / EXP_SCALE;
            if (assets[i] == mTokenModify) {
                sumBorrowPlusEffects += (tokensToDenom * redeemTokens) / EXP_SCALE;
                sumBorrowPlusEffects += (price * borrowAmount) / EXP_SCALE;
            }
        }
        return sumCollateral > sumBorrowPlusEffects
            ? (NO_ERROR, sumCollateral - sumBorrowPlusEffects, uint256(0))
            : (NO_ERROR, uint256(0), sumBorrowPlusEffects - sumCollateral);
    }

    /* POLICY HOOKS (called by the markets) */

    function mintAllowed(address mToken, address, uint256) external view returns (uint256) {
        return markets[mToken].isListed ? NO_ERROR : MARKET_NOT_LISTED;
    }

    function redeemAllowed(address mToken, address redeemer, uint256 redeemTokens) external view returns (uint256) {
        if (!markets[mToken].isListed) return MARKET_NOT_LISTED;
        if (!markets[mToken].accountMembership[redeemer]) return NO_ERROR;
        (, , uint256 shortfall) = _liquidity(redeemer, mToken, redeemTokens, 0);
        return shortfall > 0 ? INSUFFICIENT_LIQUIDITY : NO_ERROR;
    }

    function borrowAllowed(address mToken, address borrower, uint256 borrowAmount) external returns (uint256) {
        if (!markets[mToken].isListed) return MARKET_NOT_LISTED;
        if (!markets[mToken].accountMembership[borrower]) {
            // Like Compound: only the market itself may enter the borrower on borrow.
            require(msg.sender == mToken, "sender must be mToken");
            _addToMarket(mToken, borrower);
        }
        (, , uint256 shortfall) = _liquidity(borrower, mToken, 0, borrowAmount);
        return shortfall > 0 ? INSUFFICIENT_LIQUIDITY : NO_ERROR;
    }

    function liquidateBorrowAllowed(address mTokenBorrowed, address mTokenCollateral, address, address borrower, uint256 repayAmount)
        external
        view
        returns (uint256)
    {
        if (!markets[mTokenBorrowed].isListed || !markets[mTokenCollateral].isListed) return MARKET_NOT_LISTED;
        (, , uint256 shortfall) = _liquidity(borrower, address(0), 0, 0);
        if (shortfall == 0) return INSUFFICIENT_SHORTFALL;
        uint256 maxClose = (closeFactorMantissa * MoonwellMTokenDouble(mTokenBorrowed).borrowBalanceStored(borrower)) / EXP_SCALE;
        return repayAmount > maxClose ? TOO_MUCH_REPAY : NO_ERROR;
    }

    /// @notice Comptroller.liquidateCalculateSeizeTokens: repay * (incentive * priceBorrowed) / (priceCollateral * exchangeRate).
    function liquidateCalculateSeizeTokens(address mTokenBorrowed, address mTokenCollateral, uint256 actualRepayAmount)
        external
        view
        returns (uint256, uint256)
    {
        uint256 priceBorrowed = oracle.getUnderlyingPrice(mTokenBorrowed);
        uint256 priceCollateral = oracle.getUnderlyingPrice(mTokenCollateral);
        if (priceBorrowed == 0 || priceCollateral == 0) return (PRICE_ERROR, 0);
        uint256 exchangeRate = MoonwellMTokenDouble(mTokenCollateral).exchangeRateStored();
        uint256 numerator = (liquidationIncentiveMantissa * priceBorrowed) / EXP_SCALE;
        uint256 denominator = (priceCollateral * exchangeRate) / EXP_SCALE;
        uint256 ratio = (numerator * EXP_SCALE) / denominator;
        return (NO_ERROR, (ratio * actualRepayAmount) / EXP_SCALE);
    }
}

/**
 * @title MoonwellMTokenDouble
 * @notice TEST DOUBLE of a Moonwell MErc20 market (src/MToken.sol, src/MErc20.sol), which ships no bytecode on npm.
 * Same ABI and arithmetic for what the keeper reads: stored exchange rate ((cash + borrows − reserves) / supply),
 * borrow balances through principal × borrowIndex / interestIndex, per-second simple interest in `accrueInterest`,
 * `getAccountSnapshot`, the protocol seize share (Moonwell: 3%), and the events Mint / Redeem / Borrow / RepayBorrow /
 * LiquidateBorrow / AccrueInterest / Transfer. Compound's convention of returning error codes is kept for comptroller
 * rejections (3 COMPTROLLER_REJECTION) and for a market without the cash to pay out (14 TOKEN_INSUFFICIENT_CASH, as
 * MToken.redeemFresh / borrowFresh return it). The executor's unit tests (test/unit/contracts/helpers/venues.ts) drive
 * both codes through it to cover ChimeraExecutor's CompoundV2CallFailed branches.
 * @dev Fixed per-second borrow rate instead of an interest-rate model; no reserve factor (test-only).
 */
contract MoonwellMTokenDouble {
    using SafeERC20 for IERC20;

    uint256 private constant EXP_SCALE = 1e18;
    uint256 private constant NO_ERROR = 0;
    uint256 private constant COMPTROLLER_REJECTION = 3;
    uint256 private constant TOKEN_INSUFFICIENT_CASH = 14;

    struct BorrowSnapshot {
        uint256 principal;
        uint256 interestIndex;
    }

    string public name;
    string public symbol;
    uint8 public constant decimals = 8;
    address public immutable underlying;
    MoonwellComptrollerDouble public immutable comptroller;
    uint256 public immutable initialExchangeRateMantissa;
    uint256 public constant protocolSeizeShareMantissa = 0.03e18;
    /// @dev Moonwell's getter, fixed at zero here: no interest goes to reserves.
    uint256 public constant reserveFactorMantissa = 0;

    uint256 public borrowRatePerTimestamp;
    uint256 public accrualBlockTimestamp;
    uint256 public borrowIndex = EXP_SCALE;
    uint256 public totalSupply;
    uint256 public totalBorrows;
    uint256 public totalReserves;
    mapping(address account => uint256) private accountTokens;
    mapping(address account => BorrowSnapshot) private accountBorrows;
    /// @dev mTokens are ERC-20s: the executor's tests check it leaves no allowance on them. Nothing here spends one.
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    event AccrueInterest(uint256 cashPrior, uint256 interestAccumulated, uint256 borrowIndex, uint256 totalBorrows);
    event Mint(address minter, uint256 mintAmount, uint256 mintTokens);
    event Redeem(address redeemer, uint256 redeemAmount, uint256 redeemTokens);
    event Borrow(address borrower, uint256 borrowAmount, uint256 accountBorrows, uint256 totalBorrows);
    event RepayBorrow(address payer, address borrower, uint256 repayAmount, uint256 accountBorrows, uint256 totalBorrows);
    event LiquidateBorrow(address liquidator, address borrower, uint256 repayAmount, address mTokenCollateral, uint256 seizeTokens);
    event Transfer(address indexed from, address indexed to, uint256 amount);
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    constructor(
        string memory marketName,
        string memory marketSymbol,
        address underlyingToken,
        MoonwellComptrollerDouble marketComptroller,
        uint256 exchangeRateMantissa,
        uint256 ratePerSecond
    ) {
        name = marketName;
        symbol = marketSymbol;
        underlying = underlyingToken;
        comptroller = marketComptroller;
        initialExchangeRateMantissa = exchangeRateMantissa;
        borrowRatePerTimestamp = ratePerSecond;
        accrualBlockTimestamp = block.timestamp;
    }

    /* VIEWS */

    function balanceOf(address owner) external view returns (uint256) {
        return accountTokens[owner];
    }

    function getCash() public view returns (uint256) {
        return IERC20(underlying).balanceOf(address(this));
    }

    function exchangeRateStored() public view returns (uint256) {
        if (totalSupply == 0) return initialExchangeRateMantissa;
        return ((getCash() + totalBorrows - totalReserves) * EXP_SCALE) / totalSupply;
    }

    function borrowBalanceStored(address account) public view returns (uint256) {
        BorrowSnapshot storage snapshot = accountBorrows[account];
        if (snapshot.principal == 0) return 0;
        return (snapshot.principal * borrowIndex) / snapshot.interestIndex;
    }

    function getAccountSnapshot(address account) external view returns (uint256, uint256, uint256, uint256) {
        return (NO_ERROR, accountTokens[account], borrowBalanceStored(account), exchangeRateStored());
    }

    /* INTEREST */

    function accrueInterest() public returns (uint256) {
        uint256 delta = block.timestamp - accrualBlockTimestamp;
        if (delta == 0) return NO_ERROR;
        uint256 cashPrior = getCash();
        uint256 simpleInterestFactor = borrowRatePerTimestamp * delta;
        uint256 interestAccumulated = (simpleInterestFactor * totalBorrows) / EXP_SCALE;
        totalBorrows += interestAccumulated;
        borrowIndex += (simpleInterestFactor * borrowIndex) / EXP_SCALE;
        accrualBlockTimestamp = block.timestamp;
        emit AccrueInterest(cashPrior, interestAccumulated, borrowIndex, totalBorrows);
        return NO_ERROR;
    }

    /* USER ACTIONS */

    function mint(uint256 mintAmount) external returns (uint256) {
        accrueInterest();
        require(comptroller.mintAllowed(address(this), msg.sender, mintAmount) == NO_ERROR, "mint rejected");
        uint256 exchangeRate = exchangeRateStored();
        IERC20(underlying).safeTransferFrom(msg.sender, address(this), mintAmount);
        uint256 mintTokens = (mintAmount * EXP_SCALE) / exchangeRate;
        totalSupply += mintTokens;
        accountTokens[msg.sender] += mintTokens;
        emit Mint(msg.sender, mintAmount, mintTokens);
        emit Transfer(address(this), msg.sender, mintTokens);
        return NO_ERROR;
    }

    function redeem(uint256 redeemTokens) external returns (uint256) {
        accrueInterest();
        if (comptroller.redeemAllowed(address(this), msg.sender, redeemTokens) != NO_ERROR) return COMPTROLLER_REJECTION;
        uint256 redeemAmount = (exchangeRateStored() * redeemTokens) / EXP_SCALE;
        // Moonwell returns this code rather than reverting when borrowers have taken the market's cash.
        if (getCash() < redeemAmount) return TOKEN_INSUFFICIENT_CASH;
        totalSupply -= redeemTokens;
        accountTokens[msg.sender] -= redeemTokens;
        IERC20(underlying).safeTransfer(msg.sender, redeemAmount);
        emit Transfer(msg.sender, address(this), redeemTokens);
        emit Redeem(msg.sender, redeemAmount, redeemTokens);
        return NO_ERROR;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address dst, uint256 amount) external returns (bool) {
        accrueInterest();
        require(comptroller.redeemAllowed(address(this), msg.sender, amount) == NO_ERROR, "transfer rejected");
        accountTokens[msg.sender] -= amount;
        accountTokens[dst] += amount;
        emit Transfer(msg.sender, dst, amount);
        return true;
    }

    function borrow(uint256 borrowAmount) external returns (uint256) {
        accrueInterest();
        if (comptroller.borrowAllowed(address(this), msg.sender, borrowAmount) != NO_ERROR) return COMPTROLLER_REJECTION;
        if (getCash() < borrowAmount) return TOKEN_INSUFFICIENT_CASH;
        uint256 accountBorrowsNew = borrowBalanceStored(msg.sender) + borrowAmount;
        accountBorrows[msg.sender] = BorrowSnapshot(accountBorrowsNew, borrowIndex);
        totalBorrows += borrowAmount;
        IERC20(underlying).safeTransfer(msg.sender, borrowAmount);
        emit Borrow(msg.sender, borrowAmount, accountBorrowsNew, totalBorrows);
        return NO_ERROR;
    }

    function repayBorrow(uint256 repayAmount) external returns (uint256) {
        accrueInterest();
        _repay(msg.sender, msg.sender, repayAmount);
        return NO_ERROR;
    }

    function liquidateBorrow(address borrower, uint256 repayAmount, address mTokenCollateral) external returns (uint256) {
        accrueInterest();
        if (mTokenCollateral != address(this)) MoonwellMTokenDouble(mTokenCollateral).accrueInterest();
        uint256 allowed = comptroller.liquidateBorrowAllowed(address(this), mTokenCollateral, msg.sender, borrower, repayAmount);
        if (allowed != NO_ERROR) return COMPTROLLER_REJECTION;
        uint256 actualRepayAmount = _repay(msg.sender, borrower, repayAmount);
        (, uint256 seizeTokens) = comptroller.liquidateCalculateSeizeTokens(address(this), mTokenCollateral, actualRepayAmount);
        require(MoonwellMTokenDouble(mTokenCollateral).balanceOf(borrower) >= seizeTokens, "LIQUIDATE_SEIZE_TOO_MUCH");
        if (mTokenCollateral == address(this)) _seize(msg.sender, borrower, seizeTokens);
        else MoonwellMTokenDouble(mTokenCollateral).seize(msg.sender, borrower, seizeTokens);
        emit LiquidateBorrow(msg.sender, borrower, actualRepayAmount, mTokenCollateral, seizeTokens);
        return NO_ERROR;
    }

    /// @notice Called by the borrowed market of a liquidation to move seized tokens.
    function seize(address liquidator, address borrower, uint256 seizeTokens) external returns (uint256) {
        (bool listed, ) = comptroller.markets(msg.sender);
        require(listed, "seize: caller is not a listed market");
        _seize(liquidator, borrower, seizeTokens);
        return NO_ERROR;
    }

    function _repay(address payer, address borrower, uint256 repayAmount) private returns (uint256 actualRepayAmount) {
        uint256 accountBorrowsPrior = borrowBalanceStored(borrower);
        actualRepayAmount = repayAmount == type(uint256).max ? accountBorrowsPrior : repayAmount;
        IERC20(underlying).safeTransferFrom(payer, address(this), actualRepayAmount);
        uint256 accountBorrowsNew = accountBorrowsPrior - actualRepayAmount;
        accountBorrows[borrower] = BorrowSnapshot(accountBorrowsNew, borrowIndex);
        totalBorrows -= actualRepayAmount;
        emit RepayBorrow(payer, borrower, actualRepayAmount, accountBorrowsNew, totalBorrows);
    }

    function _seize(address liquidator, address borrower, uint256 seizeTokens) private {
        uint256 protocolSeizeTokens = (seizeTokens * protocolSeizeShareMantissa) / EXP_SCALE;
        uint256 liquidatorSeizeTokens = seizeTokens - protocolSeizeTokens;
        uint256 protocolSeizeAmount = (exchangeRateStored() * protocolSeizeTokens) / EXP_SCALE;
        totalReserves += protocolSeizeAmount;
        totalSupply -= protocolSeizeTokens;
        accountTokens[borrower] -= seizeTokens;
        accountTokens[liquidator] += liquidatorSeizeTokens;
        emit Transfer(borrower, liquidator, liquidatorSeizeTokens);
        emit Transfer(borrower, address(this), protocolSeizeTokens);
    }
}
