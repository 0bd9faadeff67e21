/**
 * Reads what an executor transaction did from its own events (PlanExecuted, Liquidated, ResidualSwept), and the scope
 * of tokens and spenders the between-transactions invariant is checked over.
 */
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import { expect } from "chai";
import type { ChimeraExecutor } from "../../../../typechain-types";
import type { ExecutorFixture } from "../../../shared/executor-fixture";
import { sandboxAllowlist } from "../../../shared/executor-fixture";
import type { HoldingsScope } from "./invariants";

export interface LiquidatedEvent {
  readonly borrower: string;
  readonly collateralToken: string;
  readonly debtToken: string;
  readonly protocol: bigint;
  readonly debtRepaid: bigint;
  readonly collateralSeized: bigint;
  readonly collateralSold: bigint;
  readonly debtTokenBought: bigint;
}

export interface PlanExecutedEvent {
  readonly operator: string;
  readonly profitToken: string;
  readonly treasury: string;
  readonly flashFee: bigint;
  readonly profit: bigint;
}

export interface ExecutionOutcome {
  readonly receipt: ContractTransactionReceipt;
  readonly plan: PlanExecutedEvent;
  readonly liquidations: LiquidatedEvent[];
  readonly residues: { token: string; treasury: string; amount: bigint }[];
}

/** Waits for `tx` and decodes the executor's events from it; fails the test if PlanExecuted is missing. */
export async function outcomeOf(executor: ChimeraExecutor, tx: Promise<ContractTransactionResponse>): Promise<ExecutionOutcome> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  const executorAddress = (await executor.getAddress()).toLowerCase();
  const parsed = receipt.logs
    .filter((log) => log.address.toLowerCase() === executorAddress)
    .map((log) => executor.interface.parseLog(log))
    .filter((event) => event !== null);
  const planEvents = parsed.filter((e) => e.name === "PlanExecuted");
  expect(planEvents, "PlanExecuted events").to.have.length(1);
  return {
    receipt,
    plan: planEvents[0].args.toObject() as unknown as PlanExecutedEvent,
    liquidations: parsed.filter((e) => e.name === "Liquidated").map((e) => e.args.toObject() as unknown as LiquidatedEvent),
    residues: parsed
      .filter((e) => e.name === "ResidualSwept")
      .map((e) => e.args.toObject() as unknown as { token: string; treasury: string; amount: bigint }),
  };
}

/** Every sandbox token, and every sandbox contract the executor may approve, plus any extra a suite adds. */
export function sandboxScope(f: ExecutorFixture, extra: Partial<HoldingsScope> = {}): HoldingsScope {
  return {
    tokens: [...Object.values(f.sandbox.book.tokens).map((t) => t.address), ...(extra.tokens ?? [])],
    spenders: [...sandboxAllowlist(f.sandbox), ...(extra.spenders ?? [])],
  };
}
