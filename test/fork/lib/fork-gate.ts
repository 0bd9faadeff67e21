/**
 * Decides whether a fork suite runs, and registers it accordingly. A fork suite needs the in-process
 * `hardhat` network forking Base at BASE_FORK_BLOCK, which hardhat.config.ts sets up only when
 * `npm run test:fork` (CHIMERA_FORK=1) runs with BASE_RPC_URL set. In every other case (no URL,
 * `npm test`, another --network) the suite registers ONE pending test whose title names BASE_RPC_URL,
 * so the reporter prints a single line per suite and the run still exits 0. Nothing touches the chain
 * at import time.
 */
import hre from "hardhat";
import type { HardhatNetworkConfig } from "hardhat/types";
import { envOrVar } from "../../../tasks/lib/config-vars";
import { BASE_FORK_BLOCK } from "../pinned-block";

/** The URL itself is never carried around: it is a secret (it often embeds an API key). */
export type ForkStatus = { readonly active: true } | { readonly active: false; readonly reason: string };

/** Whether this run forks Base at the pinned block, or why not (one sentence naming BASE_RPC_URL). */
export function forkStatus(): ForkStatus {
  const howTo = `set BASE_RPC_URL (environment or \`npx hardhat vars set BASE_RPC_URL\`) and run \`npm run test:fork\` to fork Base at block ${BASE_FORK_BLOCK}`;
  if (hre.network.name !== "hardhat") {
    return { active: false, reason: `fork suites run on the in-process hardhat network, not "${hre.network.name}"; ${howTo}` };
  }
  const forking = (hre.network.config as HardhatNetworkConfig).forking;
  if (forking === undefined || !forking.enabled || forking.url === "") {
    const reason =
      envOrVar("BASE_RPC_URL") === undefined
        ? `BASE_RPC_URL is not set; ${howTo}`
        : `BASE_RPC_URL is set but forking is off (CHIMERA_FORK is not 1); run \`npm run test:fork\` to fork Base at block ${BASE_FORK_BLOCK}`;
    return { active: false, reason };
  }
  if (forking.blockNumber !== BASE_FORK_BLOCK) {
    // Not a skip: a fork at another block would make every scenario's numbers meaningless.
    throw new Error(
      `the hardhat network forks block ${forking.blockNumber ?? "latest"}, but the fork suites are pinned to ${BASE_FORK_BLOCK} ` +
        "(test/fork/pinned-block.ts); hardhat.config.ts must fork exactly that block",
    );
  }
  return { active: true };
}

/**
 * `describe` for a fork suite: the real body when Base is forked, otherwise one pending test saying why
 * (which names BASE_RPC_URL). Use it exactly like `describe`.
 */
export function describeFork(title: string, body: (this: Mocha.Suite) => void): Mocha.Suite {
  const status = forkStatus();
  if (status.active) return describe(title, body);
  return describe(title, function () {
    // A test without a callback is pending: mocha prints it as one "- ..." line and counts it as pending.
    it(`skipped: ${status.reason}`);
  });
}
