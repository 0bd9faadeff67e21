// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IChimeraExecutor} from "../interfaces/IChimeraExecutor.sol";

/// @title ExecutorAccess
/// @notice Who may do what on ChimeraExecutor: the owner (a Safe, two-step transfer, never renounced), the operators
///         (hot keys: submit plans, pause), the allowlisted targets and Morpho Blue markets, the treasury and the pause
///         flag. ChimeraExecutor's plans ask it through `_hasOperatorRole` and `_requireAllowed`, with the slot holding
///         the treasury, the pause flag and the pinned bits read once per plan.
/// @dev `treasury`, `paused` and the pinned bits share one storage slot, the first after Ownable2Step's two.
abstract contract ExecutorAccess is IChimeraExecutor, Ownable2Step {
    /* CONSTANTS */

    /// @dev How many of the constructor's operators and allowlisted targets are pinned in code (see `PINNED_TARGET_0`).
    uint256 private constant PINNED_OPERATOR_CAPACITY = 4;
    uint256 private constant PINNED_TARGET_CAPACITY = 8;

    /* IMMUTABLES */

    /// @dev The first `PINNED_TARGET_CAPACITY` targets of the constructor's allowlist (the Ignition parameters list the
    ///      flash lenders, the Aave pool and the routers first), kept in code so that admitting a plan compares its
    ///      lender, market and router with constants instead of reading one cold storage slot (2,100 gas) each.
    ///      Whether each is allowed is still the owner's to change at any time: bit i of `_pinnedTargetsAllowed` (in the
    ///      `treasury` slot, which every plan reads anyway) says whether `PINNED_TARGET_<i>` is allowed. Unused ones are
    ///      the zero address with their bit clear, and the zero address can never be allowed (`InvalidAddress`), so
    ///      they never allow anything. A pinned target is never written to `_allowedTargets`.
    address private immutable PINNED_TARGET_0;
    address private immutable PINNED_TARGET_1;
    address private immutable PINNED_TARGET_2;
    address private immutable PINNED_TARGET_3;
    address private immutable PINNED_TARGET_4;
    address private immutable PINNED_TARGET_5;
    address private immutable PINNED_TARGET_6;
    address private immutable PINNED_TARGET_7;

    /// @dev The first `PINNED_OPERATOR_CAPACITY` operators of the constructor, pinned the same way (bit i of
    ///      `_pinnedOperatorsAllowed`): a plan's role check then reads no slot but the `treasury` one. An operator the owner
    ///      grants later (a rotated key) is stored in `_operators` and costs its plans one cold read (2,100 gas) more.
    address private immutable PINNED_OPERATOR_0;
    address private immutable PINNED_OPERATOR_1;
    address private immutable PINNED_OPERATOR_2;
    address private immutable PINNED_OPERATOR_3;

    /* STORAGE */

    /// @inheritdoc IChimeraExecutor
    address public treasury;

    /// @inheritdoc IChimeraExecutor
    /// @dev Packed in the same slot as `treasury`: a plan reads both for one cold storage access.
    bool public paused;

    /// @dev Bit i: whether `PINNED_TARGET_<i>` is allowed. Packed with `treasury` and `paused`.
    uint8 internal _pinnedTargetsAllowed;

    /// @dev Bit i: whether `PINNED_OPERATOR_<i>` holds the operator role. Packed with `treasury` and `paused`.
    uint8 internal _pinnedOperatorsAllowed;

    /// @dev Operators other than the pinned ones.
    mapping(address account => bool) private _operators;

    /// @dev Allowed targets other than the pinned ones.
    mapping(address target => bool) private _allowedTargets;

    /// @inheritdoc IChimeraExecutor
    mapping(address host => mapping(bytes32 marketId => bool)) public isAllowedMarket;

    /* CONSTRUCTOR */

    /// @param initialOwner The owner (a Safe in production); receives rescued tokens.
    /// @param initialTreasury Where profit goes.
    /// @param initialOperators Keeper hot keys allowed to submit plans and pause.
    /// @param initialAllowedTargets Lenders, pools, markets and routers plans may call.
    /// @param initialAllowedMarkets Morpho Blue markets plans may liquidate in.
    /// @dev Everything is set here so that a Safe owner needs no follow-up transaction after deployment.
    constructor(
        address initialOwner,
        address initialTreasury,
        address[] memory initialOperators,
        address[] memory initialAllowedTargets,
        HostedMarket[] memory initialAllowedMarkets
    ) Ownable(_requireOwner(initialOwner)) {
        _setTreasury(initialTreasury);
        uint256 pinnedOperatorCount = initialOperators.length < PINNED_OPERATOR_CAPACITY
            ? initialOperators.length
            : PINNED_OPERATOR_CAPACITY;
        address[PINNED_OPERATOR_CAPACITY] memory pinnedOperators;
        for (uint256 i; i < pinnedOperatorCount; ++i) {
            pinnedOperators[i] = _requireOperatorAddress(initialOperators[i]);
            emit OperatorSet(pinnedOperators[i], true);
        }
        PINNED_OPERATOR_0 = pinnedOperators[0];
        PINNED_OPERATOR_1 = pinnedOperators[1];
        PINNED_OPERATOR_2 = pinnedOperators[2];
        PINNED_OPERATOR_3 = pinnedOperators[3];
        _pinnedOperatorsAllowed = uint8((1 << pinnedOperatorCount) - 1);
        for (uint256 i = pinnedOperatorCount; i < initialOperators.length; ++i) {
            _setOperator(initialOperators[i], true);
        }
        uint256 pinnedCount = initialAllowedTargets.length < PINNED_TARGET_CAPACITY
            ? initialAllowedTargets.length
            : PINNED_TARGET_CAPACITY;
        address[PINNED_TARGET_CAPACITY] memory pinned;
        for (uint256 i; i < pinnedCount; ++i) {
            pinned[i] = _requireTargetAddress(initialAllowedTargets[i]);
            emit AllowedTargetSet(pinned[i], true);
        }
        PINNED_TARGET_0 = pinned[0];
        PINNED_TARGET_1 = pinned[1];
        PINNED_TARGET_2 = pinned[2];
        PINNED_TARGET_3 = pinned[3];
        PINNED_TARGET_4 = pinned[4];
        PINNED_TARGET_5 = pinned[5];
        PINNED_TARGET_6 = pinned[6];
        PINNED_TARGET_7 = pinned[7];
        _pinnedTargetsAllowed = uint8((1 << pinnedCount) - 1);
        for (uint256 i = pinnedCount; i < initialAllowedTargets.length; ++i) {
            _setAllowedTarget(initialAllowedTargets[i], true);
        }
        for (uint256 i; i < initialAllowedMarkets.length; ++i) {
            _setAllowedMarket(initialAllowedMarkets[i], true);
        }
    }

    /* OPERATOR AND OWNER FUNCTIONS */

    /// @inheritdoc IChimeraExecutor
    function pause() external {
        if (!isOperator(msg.sender) && msg.sender != owner()) revert CallerNotOwnerOrOperator(msg.sender);
        if (paused) revert EnforcedPause();
        paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IChimeraExecutor
    function unpause() external onlyOwner {
        if (!paused) revert ExpectedPause();
        paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IChimeraExecutor
    function setOperator(address operator, bool allowed) external onlyOwner {
        _setOperator(operator, allowed);
    }

    /// @inheritdoc IChimeraExecutor
    function setAllowedTarget(address target, bool allowed) external onlyOwner {
        _setAllowedTarget(target, allowed);
    }

    /// @inheritdoc IChimeraExecutor
    function setAllowedTargets(address[] calldata targets, bool allowed) external onlyOwner {
        for (uint256 i; i < targets.length; ++i) {
            _setAllowedTarget(targets[i], allowed);
        }
    }

    /// @inheritdoc IChimeraExecutor
    function setAllowedMarkets(HostedMarket[] calldata markets, bool allowed) external onlyOwner {
        for (uint256 i; i < markets.length; ++i) {
            _setAllowedMarket(markets[i], allowed);
        }
    }

    /// @inheritdoc IChimeraExecutor
    function setTreasury(address newTreasury) external onlyOwner {
        _setTreasury(newTreasury);
    }

    /// @notice Disabled: an ownerless executor could never be unpaused, reconfigured or rescued.
    function renounceOwnership() public pure override {
        revert RenounceOwnershipDisabled();
    }

    /* ROLES AND ALLOWLISTS */

    /// @dev Runs before Ownable's own check so a zero owner fails with the same field-naming error as the rest.
    function _requireOwner(address initialOwner) private pure returns (address) {
        if (initialOwner == address(0)) revert InvalidAddress("owner", initialOwner);
        return initialOwner;
    }

    /// @inheritdoc IChimeraExecutor
    function isAllowedTarget(address target) public view returns (bool) {
        uint256 pinnedMask = _pinnedTargetMask(target);
        if (pinnedMask != 0) return _pinnedTargetsAllowed & pinnedMask != 0;
        return _allowedTargets[target];
    }

    /// @inheritdoc IChimeraExecutor
    function isOperator(address account) public view returns (bool) {
        return _hasOperatorRole(account, _pinnedOperatorsAllowed);
    }

    /// @dev `isOperator` with the pinned operators' bits already read (`_enterPlan` reads them with the rest of their slot).
    function _hasOperatorRole(address account, uint256 pinnedOperatorsAllowed) internal view returns (bool) {
        uint256 pinnedMask = _pinnedOperatorMask(account);
        if (pinnedMask != 0) return pinnedOperatorsAllowed & pinnedMask != 0;
        return _operators[account];
    }

    /// @dev Bit i set for every `PINNED_OPERATOR_<i>` equal to `account`. Branch-free (immutables cannot be read in
    ///      assembly, so they are copied to the stack first): every plan computes this mask.
    function _pinnedOperatorMask(address account) private view returns (uint256 mask) {
        (address p0, address p1) = (PINNED_OPERATOR_0, PINNED_OPERATOR_1);
        (address p2, address p3) = (PINNED_OPERATOR_2, PINNED_OPERATOR_3);
        assembly ("memory-safe") {
            mask := or(or(eq(account, p0), shl(1, eq(account, p1))), or(shl(2, eq(account, p2)), shl(3, eq(account, p3))))
        }
    }

    /// @dev `isAllowedTarget` with the pinned bits the plan's entry point already read (`_enterPlan`).
    function _requireAllowed(address target, uint256 pinned) internal view {
        uint256 pinnedMask = _pinnedTargetMask(target);
        bool allowed = pinnedMask != 0 ? pinned & pinnedMask != 0 : _allowedTargets[target];
        if (!allowed) revert TargetNotAllowed(target);
    }

    /// @dev Bit i set for every `PINNED_TARGET_<i>` equal to `target` (a target listed twice is pinned twice).
    ///      Branch-free, like `_pinnedOperatorMask`: a plan computes this mask for every contract it names.
    function _pinnedTargetMask(address target) private view returns (uint256 mask) {
        (address p0, address p1, address p2, address p3) = (PINNED_TARGET_0, PINNED_TARGET_1, PINNED_TARGET_2, PINNED_TARGET_3);
        (address p4, address p5, address p6, address p7) = (PINNED_TARGET_4, PINNED_TARGET_5, PINNED_TARGET_6, PINNED_TARGET_7);
        assembly ("memory-safe") {
            mask := or(
                or(or(eq(target, p0), shl(1, eq(target, p1))), or(shl(2, eq(target, p2)), shl(3, eq(target, p3)))),
                or(or(shl(4, eq(target, p4)), shl(5, eq(target, p5))), or(shl(6, eq(target, p6)), shl(7, eq(target, p7))))
            )
        }
    }

    function _setOperator(address operator, bool allowed) private {
        _requireOperatorAddress(operator);
        uint256 pinnedMask = _pinnedOperatorMask(operator);
        if (pinnedMask != 0) {
            uint256 pinnedAllowed = _pinnedOperatorsAllowed;
            _pinnedOperatorsAllowed = uint8(allowed ? pinnedAllowed | pinnedMask : pinnedAllowed & ~pinnedMask);
        } else {
            _operators[operator] = allowed;
        }
        emit OperatorSet(operator, allowed);
    }

    function _requireOperatorAddress(address operator) private pure returns (address) {
        if (operator == address(0)) revert InvalidAddress("operator", operator);
        return operator;
    }

    function _setAllowedTarget(address target, bool allowed) private {
        _requireTargetAddress(target);
        uint256 pinnedMask = _pinnedTargetMask(target);
        if (pinnedMask != 0) {
            uint256 pinnedAllowed = _pinnedTargetsAllowed;
            _pinnedTargetsAllowed = uint8(allowed ? pinnedAllowed | pinnedMask : pinnedAllowed & ~pinnedMask);
        } else {
            _allowedTargets[target] = allowed;
        }
        emit AllowedTargetSet(target, allowed);
    }

    function _requireTargetAddress(address target) private view returns (address) {
        if (target == address(0) || target == address(this)) revert InvalidAddress("target", target);
        return target;
    }

    function _setAllowedMarket(HostedMarket memory market, bool allowed) private {
        if (market.host == address(0) || market.host == address(this)) revert InvalidAddress("host", market.host);
        if (market.marketId == bytes32(0)) revert InvalidMarketId(market.host, market.marketId);
        isAllowedMarket[market.host][market.marketId] = allowed;
        emit AllowedMarketSet(market.host, market.marketId, allowed);
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0) || newTreasury == address(this)) revert InvalidAddress("treasury", newTreasury);
        address previousTreasury = treasury;
        treasury = newTreasury;
        emit TreasurySet(previousTreasury, newTreasury);
    }
}
