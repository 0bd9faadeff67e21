// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMorpho, MarketParams} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";
import {ISandboxAavePool} from "./SandboxProtocolInterfaces.sol";

/**
 * @title SandboxBorrower
 * @notice Test-only: one sandbox borrower. The factory deploys it once and then clones it (EIP-1167) per borrower, so
 * opening thousands of positions costs a ~45k-gas clone each instead of a full deployment. Aave and Morpho only let the
 * position owner (or a delegate it signed for) borrow, so the borrowing itself has to run from this address; the
 * factory supplies the collateral on the borrower's behalf and then asks the borrower to borrow against it.
 * @dev Borrowed tokens stay here: the sandbox only needs the debt to exist on-chain.
 */
contract SandboxBorrower {
    /* IMMUTABLES */

    /// @notice The factory that deployed the implementation; clones run this code, so they trust the same factory.
    address public immutable FACTORY;

    /* ERRORS */

    /// @notice Only the factory may make a sandbox borrower borrow or withdraw.
    error NotFactory(address caller);

    /* CONSTRUCTOR */

    constructor() {
        FACTORY = msg.sender;
    }

    /* MODIFIERS */

    modifier onlyFactory() {
        if (msg.sender != FACTORY) revert NotFactory(msg.sender);
        _;
    }

    /* ONLY FACTORY FUNCTIONS */

    /// @notice Borrows `debtBorrowed` of `debtAsset` at a variable rate against collateral already supplied for this
    /// borrower, then withdraws `collateralWithdrawn` of `collateral` to `withdrawTo`.
    /// @dev The withdrawal lets a position end below the LTV limit Aave enforces at borrow time (health factor between
    /// 1 and threshold/LTV): Aave checks only HF >= 1 on withdraw. Reverts with Aave's error code when either check fails.
    function borrowFromAave(
        ISandboxAavePool pool,
        address collateral,
        address debtAsset,
        uint256 debtBorrowed,
        uint256 collateralWithdrawn,
        address withdrawTo
    ) external onlyFactory {
        pool.borrow(debtAsset, debtBorrowed, 2, 0, address(this));
        if (collateralWithdrawn != 0) pool.withdraw(collateral, collateralWithdrawn, withdrawTo);
    }

    /// @notice Borrows `loanBorrowed` from a Morpho Blue market against collateral already supplied for this borrower.
    /// @dev Reverts with Morpho's "insufficient collateral" when the position would exceed the market's LLTV.
    function borrowFromMorpho(IMorpho morpho, MarketParams calldata marketParams, uint256 loanBorrowed)
        external
        onlyFactory
    {
        morpho.borrow(marketParams, loanBorrowed, 0, address(this), address(this));
    }
}
