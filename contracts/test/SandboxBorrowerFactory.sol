// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IMorpho, MarketParams} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";
import {ISandboxAavePool} from "./SandboxProtocolInterfaces.sol";
import {SandboxBorrower} from "./SandboxBorrower.sol";

/**
 * @title SandboxBorrowerFactory
 * @notice Test-only: opens many Aave V3 or Morpho Blue borrow positions in ONE transaction, each owned by its own
 * freshly cloned `SandboxBorrower`, so the sandbox can stand up thousands of realistic borrowers quickly (the keeper's
 * benchmark opens 10,000). Clone addresses come from CREATE2 with a caller-chosen salt, so the same seed always yields
 * the same borrower addresses on a fresh sandbox.
 * @dev The caller provides the collateral (pulled with transferFrom in one go); collateral withdrawn by borrowers goes
 * back to the caller. Approvals are exact and end at zero. Anyone may call it: it only ever spends the caller's tokens.
 */
contract SandboxBorrowerFactory {
    using SafeERC20 for IERC20;

    /* TYPES */

    /// @notice One Aave borrower: supply `collateralSupplied`, borrow `debtBorrowed`, then withdraw `collateralWithdrawn`.
    struct AaveBorrowerOrder {
        bytes32 salt;
        uint256 collateralSupplied;
        uint256 debtBorrowed;
        uint256 collateralWithdrawn;
    }

    /// @notice One Morpho borrower: supply `collateralSupplied` as collateral, borrow `loanBorrowed`.
    struct MorphoBorrowerOrder {
        bytes32 salt;
        uint256 collateralSupplied;
        uint256 loanBorrowed;
    }

    /* IMMUTABLES */

    /// @notice The borrower code every clone runs.
    SandboxBorrower public immutable BORROWER_IMPLEMENTATION;

    /* CONSTRUCTOR */

    constructor() {
        BORROWER_IMPLEMENTATION = new SandboxBorrower();
    }

    /* EXTERNAL FUNCTIONS */

    /// @notice Opens one Aave V3 position per order, all with `collateral` as collateral and `debtAsset` as variable debt.
    /// @dev Reverts as a whole when any order fails: a salt already used (clone exists), too little collateral for the
    /// borrow (Aave error 35/36), a withdrawal below HF 1 (Aave error 35), or too little pool liquidity.
    /// @return borrowers The clone that owns each position, in order.
    function openAaveBorrowers(
        ISandboxAavePool pool,
        address collateral,
        address debtAsset,
        AaveBorrowerOrder[] calldata orders
    ) external returns (address[] memory borrowers) {
        uint256 totalCollateral;
        for (uint256 i; i < orders.length; ++i) {
            totalCollateral += orders[i].collateralSupplied;
        }
        IERC20(collateral).safeTransferFrom(msg.sender, address(this), totalCollateral);
        IERC20(collateral).forceApprove(address(pool), totalCollateral);

        borrowers = new address[](orders.length);
        for (uint256 i; i < orders.length; ++i) {
            AaveBorrowerOrder calldata order = orders[i];
            address borrower = Clones.cloneDeterministic(address(BORROWER_IMPLEMENTATION), order.salt);
            pool.supply(collateral, order.collateralSupplied, borrower, 0);
            SandboxBorrower(borrower).borrowFromAave(
                pool, collateral, debtAsset, order.debtBorrowed, order.collateralWithdrawn, msg.sender
            );
            borrowers[i] = borrower;
        }
    }

    /// @notice Opens one Morpho Blue position per order in the market `marketParams`.
    /// @dev Reverts as a whole when any order fails: a salt already used, a borrow above the LLTV, or too little
    /// market liquidity.
    /// @return borrowers The clone that owns each position, in order.
    function openMorphoBorrowers(IMorpho morpho, MarketParams calldata marketParams, MorphoBorrowerOrder[] calldata orders)
        external
        returns (address[] memory borrowers)
    {
        uint256 totalCollateral;
        for (uint256 i; i < orders.length; ++i) {
            totalCollateral += orders[i].collateralSupplied;
        }
        IERC20 collateral = IERC20(marketParams.collateralToken);
        collateral.safeTransferFrom(msg.sender, address(this), totalCollateral);
        collateral.forceApprove(address(morpho), totalCollateral);

        borrowers = new address[](orders.length);
        for (uint256 i; i < orders.length; ++i) {
            MorphoBorrowerOrder calldata order = orders[i];
            address borrower = Clones.cloneDeterministic(address(BORROWER_IMPLEMENTATION), order.salt);
            morpho.supplyCollateral(marketParams, order.collateralSupplied, borrower, "");
            SandboxBorrower(borrower).borrowFromMorpho(morpho, marketParams, order.loanBorrowed);
            borrowers[i] = borrower;
        }
    }

    /* VIEW FUNCTIONS */

    /// @notice The address the borrower opened with `salt` has (or will have).
    function predictBorrower(bytes32 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(address(BORROWER_IMPLEMENTATION), salt);
    }
}
