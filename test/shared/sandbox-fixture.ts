/**
 * The sandbox as a `loadFixture` fixture: the first test that asks builds it, every later one gets a snapshot revert.
 * Keep the function identity stable (import it, do not wrap it in a new closure per test) or loadFixture rebuilds.
 */
import hre from "hardhat";
import { buildSandbox, type Sandbox, type SandboxAaveVersion } from "../../sandbox";

/** The default sandbox: Aave v3.6, as Base runs it. */
export async function sandboxFixture(): Promise<Sandbox> {
  return buildSandbox(hre);
}

/** The sandbox with the v3.0.2 Aave market, for tests that must hold on both versions. */
export async function sandboxV302Fixture(): Promise<Sandbox> {
  return buildSandbox(hre, { aaveVersion: "v3.0.2" });
}

/** The fixture (stable identity) that builds the sandbox with `version`'s Aave market. */
export function sandboxFixtureFor(version: SandboxAaveVersion): () => Promise<Sandbox> {
  return version === "v3.6" ? sandboxFixture : sandboxV302Fixture;
}
