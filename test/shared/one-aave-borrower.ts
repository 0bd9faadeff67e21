/**
 * One WETH-collateral, USDC-debt Aave borrower at an exact health factor and debt: the position the single-liquidation
 * tests start from (a small WETH drop makes one at HF 1.02 liquidatable). `seed` keeps each test's borrower its own.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Sandbox } from "../../sandbox";
import { openAaveBorrowers, type OpenedBorrower } from "../../sandbox/borrowers";

export async function openWethUsdcBorrower(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox,
  spec: { readonly seed: number; readonly healthFactor: number; readonly debtUsd: number },
): Promise<OpenedBorrower> {
  const [borrower] = await openAaveBorrowers(hre, sandbox, {
    count: 1,
    seed: spec.seed,
    collateral: "WETH",
    debt: "USDC",
    healthFactor: { min: spec.healthFactor, max: spec.healthFactor },
    debtUsd: { min: spec.debtUsd, max: spec.debtUsd },
  });
  return borrower!;
}
