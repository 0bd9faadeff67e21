/**
 * Where the executor's gas over the floor goes: `SOURCE=balancer npx hardhat run bench/gas-trace.ts` (balancer,
 * morphoFlash, aave, uniswapV3; PLAIN=1 borrows exactly debtToCover instead of the keeper's headroom). Sends the gas
 * bench's executor plan and its floor (bench/gas.ts, same snapshot), traces both with `debug_traceTransaction` and prints,
 * per contract, the gas executed in its own frames (a call's base cost counted in the caller, the callee's work in
 * the callee), then the executor's own gas by opcode, and its refunds. Diagnostic only: it writes no report.
 */
import hre from "hardhat";
import { takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { FLASH_HEADROOM } from "../keeper/execution/plan-encoder";
import { executorLiquidation, floorLiquidation, lenderOf, setUp, type SourceKey } from "./gas";

interface Step {
  readonly op: string;
  readonly gas: number;
  readonly gasCost: number;
  readonly depth: number;
  readonly stack?: string[];
}

const CALLS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);

/** Gas executed in each contract's own frames, and per (contract, opcode). */
function selfGas(steps: readonly Step[], to: string) {
  const byContract = new Map<string, number>();
  const byOp = new Map<string, Map<string, number>>();
  const frames: string[] = [to.toLowerCase()];
  const add = (address: string, op: string, gas: number) => {
    byContract.set(address, (byContract.get(address) ?? 0) + gas);
    const ops = byOp.get(address) ?? new Map<string, number>();
    ops.set(op, (ops.get(op) ?? 0) + gas);
    byOp.set(address, ops);
  };
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const address = frames[step.depth - 1]!;
    let cost = step.gasCost;
    const next = steps[i + 1];
    if (CALLS.has(step.op) && next !== undefined && next.depth > step.depth) {
      const stack = step.stack!;
      const word = stack[stack.length - 2]!.replace(/^0x/, "");
      const callee = `0x${word.slice(-40)}`;
      frames[step.depth] = step.op === "DELEGATECALL" ? address : callee;
      // The child's work: from its first step to what it hands back.
      let j = i + 1;
      while (j < steps.length && steps[j]!.depth > step.depth) j++;
      const childLast = steps[j - 1]!;
      const childUsed = next.gas - (childLast.gas - childLast.gasCost);
      const back = steps[j];
      cost = back === undefined ? step.gasCost : step.gas - back.gas - childUsed;
    }
    add(address, step.op, cost);
  }
  return { byContract, byOp };
}

/** The steps run in the root contract's own frames (a call's cost net of its callee's work), for a per-pc profile. */
function ownSteps(steps: readonly (Step & { pc: number })[], to: string): (Step & { pc: number })[] {
  const root = to.toLowerCase();
  const frames: string[] = [root];
  const own: (Step & { pc: number })[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const address = frames[step.depth - 1]!;
    const next = steps[i + 1];
    let cost = step.gasCost;
    if (CALLS.has(step.op) && next !== undefined && next.depth > step.depth) {
      const stack = step.stack!;
      frames[step.depth] = step.op === "DELEGATECALL" ? address : `0x${stack[stack.length - 2]!.replace(/^0x/, "").slice(-40)}`;
      let j = i + 1;
      while (j < steps.length && steps[j]!.depth > step.depth) j++;
      const childLast = steps[j - 1]!;
      const back = steps[j];
      cost = back === undefined ? step.gasCost : step.gas - back.gas - (next.gas - (childLast.gas - childLast.gasCost));
    }
    if (address === root) own.push({ ...step, gasCost: cost });
  }
  return own;
}

/** The root contract's own gas between consecutive moments it calls out or is called back, with what it called. */
function timeline(steps: readonly Step[], to: string): string[] {
  const root = to.toLowerCase();
  const frames: string[] = [root];
  const lines: string[] = [];
  let spent = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const address = frames[step.depth - 1]!;
    const next = steps[i + 1];
    const calls = CALLS.has(step.op) && next !== undefined && next.depth > step.depth;
    if (calls) {
      const stack = step.stack!;
      const callee = `0x${stack[stack.length - 2]!.replace(/^0x/, "").slice(-40)}`;
      frames[step.depth] = step.op === "DELEGATECALL" ? address : callee;
    }
    if (address !== root) continue;
    if (calls) {
      lines.push(`  ${String(spent).padStart(6)}  then ${step.op} ${frames[step.depth]}`);
      spent = 0;
    } else if (step.op === "RETURN" || step.op === "STOP" || step.op === "REVERT") {
      spent += step.gasCost;
      lines.push(`  ${String(spent).padStart(6)}  then ${step.op} at depth ${step.depth}`);
      spent = 0;
    } else {
      spent += step.gasCost;
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const source = (process.env.SOURCE ?? "balancer") as SourceKey;
  const { bench, positions } = await setUp(hre);
  const { sandbox, executor, floor } = bench;
  const { book } = sandbox;
  const [position] = positions;
  const baseline = await takeSnapshot();
  const flash = lenderOf(sandbox, source);
  const amount = process.env.PLAIN === "1" ? position.debtToCover : position.debtToCover + FLASH_HEADROOM;
  const executorTx = (await executorLiquidation(hre, bench, flash, position, amount)).receipt;
  const executorTrace = await hre.network.provider.send("debug_traceTransaction", [
    executorTx.hash,
    { disableMemory: true, disableStorage: true },
  ]);
  await baseline.restore();
  const weth = book.tokens.WETH.address;
  const usdc = book.tokens.USDC.address;
  const floorTx = await (await floorLiquidation(bench, flash, position)).wait();
  const floorTrace = await hre.network.provider.send("debug_traceTransaction", [
    floorTx!.hash,
    { disableMemory: true, disableStorage: true },
  ]);

  const names = new Map<string, string>([
    [(await executor.getAddress()).toLowerCase(), "executor|floor"],
    [(await floor.getAddress()).toLowerCase(), "executor|floor"],
    [usdc.toLowerCase(), "USDC"],
    [weth.toLowerCase(), "WETH"],
    [flash.lender.toLowerCase(), `lender(${source})`],
    [book.aaveV3!.pool.toLowerCase(), "aavePool"],
    [book.uniswapV3!.swapRouter02.toLowerCase(), "router"],
  ]);
  const name = (a: string) => names.get(a) ?? a;
  if (process.env.TRACE_DUMP !== undefined) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      process.env.TRACE_DUMP,
      JSON.stringify(ownSteps(executorTrace.structLogs, await executor.getAddress()).map((l) => [l.pc, l.op, l.gasCost, l.depth])),
    );
  }
  const e = selfGas(executorTrace.structLogs, await executor.getAddress());
  console.log("executor timeline (own gas, then what it did):");
  console.log(timeline(executorTrace.structLogs, await executor.getAddress()).join("\n"));
  console.log("floor timeline:");
  console.log(timeline(floorTrace.structLogs, await floor.getAddress()).join("\n"));
  const f = selfGas(floorTrace.structLogs, await floor.getAddress());
  const merged = new Map<string, [number, number]>();
  for (const [a, g] of e.byContract) merged.set(name(a), [(merged.get(name(a))?.[0] ?? 0) + g, merged.get(name(a))?.[1] ?? 0]);
  for (const [a, g] of f.byContract) merged.set(name(a), [merged.get(name(a))?.[0] ?? 0, (merged.get(name(a))?.[1] ?? 0) + g]);
  console.log(`gasUsed executor ${executorTx.gasUsed} floor ${floorTx!.gasUsed} diff ${executorTx.gasUsed - floorTx!.gasUsed}`);
  console.log(`executed (before refunds) executor ${executorTrace.gas} floor ${floorTrace.gas}`);
  console.log("contract                executor    floor     diff");
  for (const [n, [x, y]] of [...merged].sort((a, b) => b[1][0] - b[1][1] - (a[1][0] - a[1][1]))) {
    console.log(`${n.padEnd(22)} ${String(x).padStart(9)} ${String(y).padStart(8)} ${String(x - y).padStart(8)}`);
  }
  const ops = (m: Map<string, number> | undefined) => m ?? new Map<string, number>();
  const eOps = ops(e.byOp.get((await executor.getAddress()).toLowerCase()));
  const fOps = ops(f.byOp.get((await floor.getAddress()).toLowerCase()));
  const all = new Set([...eOps.keys(), ...fOps.keys()]);
  console.log("executor|floor own frames by opcode: op executor floor diff");
  for (const op of [...all].sort((a, b) => (eOps.get(b) ?? 0) - (fOps.get(b) ?? 0) - ((eOps.get(a) ?? 0) - (fOps.get(a) ?? 0)))) {
    const x = eOps.get(op) ?? 0;
    const y = fOps.get(op) ?? 0;
    if (x === y) continue;
    console.log(`  ${op.padEnd(14)} ${String(x).padStart(7)} ${String(y).padStart(7)} ${String(x - y).padStart(7)}`);
  }
  for (const [label, m] of [
    ["USDC", usdc],
    ["WETH", weth],
  ] as const) {
    const x = ops(e.byOp.get(m.toLowerCase()));
    const y = ops(f.byOp.get(m.toLowerCase()));
    console.log(
      `${label} by opcode (executor vs floor): ${[...new Set([...x.keys(), ...y.keys()])]
        .filter((op) => (x.get(op) ?? 0) !== (y.get(op) ?? 0))
        .map((op) => `${op} ${(x.get(op) ?? 0) - (y.get(op) ?? 0)}`)
        .join(", ")}`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
