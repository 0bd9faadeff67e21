// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IMorpho} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";
import {ISandboxAavePool, ISandboxBalancerVault} from "./SandboxProtocolInterfaces.sol";

/**
 * @title FlashLoanRoundTripper
 * @notice Test-only: borrows a flash loan from Balancer V2, Morpho Blue or Aave V3 and repays it at once, recording
 * what it held during the loan. The sandbox tests use it to prove each flash source works on the genuine bytecode
 * (liquidity present, callback shape, fee charged) before the executor relies on it.
 * @dev Any fee must already sit in this contract (send it before the round trip). Each callback accepts only the
 * source the current round trip called, so a stray callback cannot move the contract's tokens.
 */
contract FlashLoanRoundTripper {
    using SafeERC20 for IERC20;

    /* TYPES */

    enum FlashSource {
        None,
        BalancerV2,
        MorphoBlue,
        AaveV3
    }

    /* STORAGE */

    /// @notice The lender the in-flight round trip borrowed from; zero between round trips.
    address private expectedLender;

    /* EVENTS */

    /// @notice A flash loan was received and repaid: `heldDuringLoan` is this contract's token balance inside the
    /// callback, `fee` what the lender charged on top of `amount`.
    event FlashLoanRoundTripped(
        FlashSource indexed source, address indexed token, uint256 amount, uint256 fee, uint256 heldDuringLoan
    );

    /* ERRORS */

    /// @notice A flash-loan callback came from an address other than the lender of the round trip in flight.
    error UnexpectedLender(address caller, address expected);

    /// @notice Aave named an initiator other than this contract (someone else asked Aave to call us).
    error UnexpectedInitiator(address initiator);

    /* EXTERNAL FUNCTIONS */

    /// @notice Borrows `amount` of `token` from the Balancer V2 vault and repays it with the vault's fee.
    function roundTripBalancer(ISandboxBalancerVault vault, address token, uint256 amount) external {
        address[] memory tokens = new address[](1);
        tokens[0] = token;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = amount;
        expectedLender = address(vault);
        vault.flashLoan(address(this), tokens, amounts, "");
        expectedLender = address(0);
    }

    /// @notice Borrows `amount` of `token` from Morpho Blue (free) and lets Morpho pull it back.
    function roundTripMorpho(IMorpho morpho, address token, uint256 amount) external {
        expectedLender = address(morpho);
        morpho.flashLoan(token, amount, abi.encode(token));
        expectedLender = address(0);
    }

    /// @notice Borrows `amount` of `token` from the Aave V3 pool with flashLoanSimple and repays it plus the premium.
    function roundTripAave(ISandboxAavePool pool, address token, uint256 amount) external {
        expectedLender = address(pool);
        pool.flashLoanSimple(address(this), token, amount, "", 0);
        expectedLender = address(0);
    }

    /* CALLBACKS */

    /// @notice Balancer V2's flash-loan callback: repay by transferring amount + fee back to the vault.
    function receiveFlashLoan(
        IERC20[] memory tokens,
        uint256[] memory amounts,
        uint256[] memory feeAmounts,
        bytes memory
    ) external {
        _checkLender();
        uint256 held = tokens[0].balanceOf(address(this));
        tokens[0].safeTransfer(msg.sender, amounts[0] + feeAmounts[0]);
        emit FlashLoanRoundTripped(FlashSource.BalancerV2, address(tokens[0]), amounts[0], feeAmounts[0], held);
    }

    /// @notice Morpho Blue's flash-loan callback: approve Morpho to pull the (fee-free) amount back.
    function onMorphoFlashLoan(uint256 assets, bytes calldata data) external {
        _checkLender();
        IERC20 token = IERC20(abi.decode(data, (address)));
        uint256 held = token.balanceOf(address(this));
        token.forceApprove(msg.sender, assets);
        emit FlashLoanRoundTripped(FlashSource.MorphoBlue, address(token), assets, 0, held);
    }

    /// @notice Aave V3's flashLoanSimple callback: approve the pool to pull amount + premium.
    function executeOperation(address asset, uint256 amount, uint256 premium, address initiator, bytes calldata)
        external
        returns (bool)
    {
        _checkLender();
        if (initiator != address(this)) revert UnexpectedInitiator(initiator);
        uint256 held = IERC20(asset).balanceOf(address(this));
        IERC20(asset).forceApprove(msg.sender, amount + premium);
        emit FlashLoanRoundTripped(FlashSource.AaveV3, asset, amount, premium, held);
        return true;
    }

    function _checkLender() private view {
        if (msg.sender != expectedLender || msg.sender == address(0)) {
            revert UnexpectedLender(msg.sender, expectedLender);
        }
    }
}
