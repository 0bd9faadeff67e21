/**
 * The sandbox as a `loadFixture` fixture: the first test that asks builds it, every later one gets a snapshot revert.
 * Keep the function identity stable (import it, do not wrap it in a new closure per test) or loadFixture rebuilds.
 */
import hre from "hardhat";
import { buildSandbox, type Sandbox } from "../../sandbox";

export async function sandboxFixture(): Promise<Sandbox> {
  return buildSandbox(hre);
}
