/**
 * Opens a scenario's borrower groups in the sandbox (genuine Aave and Morpho positions, through the
 * sandbox's batch opener) and remembers which borrower belongs to which group, so the run report and
 * the tests can check each group against the scenario's expectations.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Sandbox } from "../../sandbox";
import { openAaveBorrowers, openMorphoBorrowers, type OpenedBorrower } from "../../sandbox/borrowers";
import { openMoonwellBorrowers } from "../../sandbox/moonwell-oev-market";
import type { Scenario } from "./scenario";

export interface OpenedPopulation {
  /** Lower-case borrower address → the group tag it was opened in. */
  readonly tagOf: ReadonlyMap<string, string>;
  readonly byTag: ReadonlyMap<string, readonly OpenedBorrower[]>;
  readonly total: number;
}

export async function openPopulation(hre: HardhatRuntimeEnvironment, sandbox: Sandbox, scenario: Scenario): Promise<OpenedPopulation> {
  const tagOf = new Map<string, string>();
  const byTag = new Map<string, OpenedBorrower[]>();
  let total = 0;
  for (const [index, group] of scenario.population.entries()) {
    // One seed per group: two groups on the same market must not derive the same borrower addresses.
    const seed = scenario.seed + index;
    const opened =
      group.protocol === "aaveV3"
        ? await openAaveBorrowers(hre, sandbox, {
            count: group.count,
            seed,
            collateral: group.collateral,
            debt: group.debt,
            healthFactor: group.healthFactor,
            debtUsd: group.debtUsd,
          })
        : group.protocol === "moonwell"
          ? await openMoonwellBorrowers(hre, sandbox, {
              count: group.count,
              seed,
              healthFactor: group.healthFactor,
              debtUsd: group.debtUsd,
            })
          : await openMorphoBorrowers(hre, sandbox, {
              market: group.market,
              count: group.count,
              seed,
              healthFactor: group.healthFactor,
              debtUsd: group.debtUsd,
            });
    byTag.set(group.tag, [...(byTag.get(group.tag) ?? []), ...opened]);
    for (const borrower of opened) tagOf.set(borrower.address.toLowerCase(), group.tag);
    total += opened.length;
  }
  return { tagOf, byTag, total };
}
