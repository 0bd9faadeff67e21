/**
 * IChimeraExecutor's three enums as the keeper names them. Each list is the Solidity declaration in
 * order, so a member's index is its on-chain value. Plug-ins name the member they map to (a Moonwell
 * liquidation is a "CompoundV2" call, a Balancer loan a "BalancerV2" source) and the plan encoder turns
 * the name into the number; test/unit/keeper/execution/executor-enums.test.ts compares these lists
 * with the compiled contract, so a reordered or added member fails the build, not a live plan.
 */

/** IChimeraExecutor.FlashSource */
export const EXECUTOR_FLASH_SOURCES = ["None", "BalancerV2", "MorphoBlue", "AaveV3", "UniswapV3"] as const;
/** IChimeraExecutor.ProtocolKind: the shape of the liquidation call, not the protocol that runs it. */
export const EXECUTOR_PROTOCOL_KINDS = ["AaveV3", "MorphoBlue", "CompoundV2", "MoonwellOev", "MoonwellMorphoOev"] as const;
/** IChimeraExecutor.SwapVenue */
export const EXECUTOR_SWAP_VENUES = ["None", "UniswapV3", "Aerodrome", "AerodromeSlipstream"] as const;

export type ExecutorFlashSource = (typeof EXECUTOR_FLASH_SOURCES)[number];
export type ExecutorProtocolKind = (typeof EXECUTOR_PROTOCOL_KINDS)[number];
export type ExecutorSwapVenue = (typeof EXECUTOR_SWAP_VENUES)[number];

/** The on-chain value of an enum member: its index in the declaration. */
export function executorEnumValue<Member extends string>(members: readonly Member[], member: Member): number {
  const index = members.indexOf(member);
  if (index < 0) throw new RangeError(`"${member}" is not one of ${members.join(", ")}`);
  return index;
}

/** Every member's on-chain value by name, e.g. `executorEnumValues(EXECUTOR_FLASH_SOURCES).BalancerV2 === 1`. */
export function executorEnumValues<Member extends string>(members: readonly Member[]): Readonly<Record<Member, number>> {
  return Object.freeze(Object.fromEntries(members.map((member, index) => [member, index])) as Record<Member, number>);
}
