/**
 * What both Aave versions' deployers take (reserves and e-mode categories to list) and the small helpers they share.
 */
import type { ContractTransactionResponse } from "ethers";
import type { Address } from "../keeper/config/address-book";
import type { SandboxEModeSpec, SandboxReserveSpec } from "./market-spec";
import type { SandboxAave } from "./sandbox-types";

/** A reserve to list: its spec, its token and the Chainlink source Aave's oracle reads. */
export interface AaveReserveListing {
  readonly spec: SandboxReserveSpec;
  readonly asset: Address;
  readonly priceSource: Address;
}

export interface AaveMarketListing {
  readonly reserves: readonly AaveReserveListing[];
  readonly eModes: readonly SandboxEModeSpec[];
}

/** Deployed market plus the block of the Pool proxy's creation (where event scans start). */
export interface DeployedAaveMarket {
  readonly aave: SandboxAave;
  readonly deployBlock: number;
}

export async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await (await tx).wait();
}

export async function deployedAddress(
  contract: Promise<{ waitForDeployment(): Promise<unknown>; getAddress(): Promise<string> }>,
): Promise<Address> {
  const deployed = await contract;
  await deployed.waitForDeployment();
  return (await deployed.getAddress()) as Address;
}

/** The listing's address for `symbol` (e-mode specs name reserves by symbol). */
export function listedAsset(listing: AaveMarketListing, symbol: string): Address {
  const reserve = listing.reserves.find((r) => r.spec.symbol === symbol);
  if (reserve === undefined) throw new Error(`an e-mode category names ${symbol}, which is not a listed sandbox reserve`);
  return reserve.asset;
}
