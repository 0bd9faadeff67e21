/**
 * TypeChain bindings, loaded when a task runs rather than when hardhat.config.ts imports the tasks: on a
 * fresh clone typechain-types/ does not exist until the first compile, and a top-level import would break
 * every command, `npx hardhat compile` included.
 */
import type * as Bindings from "../../typechain-types";

export type TypechainBindings = typeof Bindings;

export async function loadBindings(): Promise<TypechainBindings> {
  try {
    return await import("../../typechain-types");
  } catch (error) {
    throw new Error(
      `the TypeChain bindings (typechain-types/) are missing or stale; run \`npx hardhat compile\` first (${(error as Error).message.split("\n")[0]})`,
    );
  }
}
