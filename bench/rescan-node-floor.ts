/**
 * Where the in-process node's time per storage slot goes (issue 18, the rescan's floor). The rescan
 * reads ~4 storage slots per position through a state-override "slot reader" eth_call
 * (keeper/markets/storage-slot-reader.ts); on Hardhat's EDR each cold slot cost 18–55 µs, which at
 * 100,000 positions is ~8 s of node time. This probe writes `slots` distinct storage words into one
 * contract, then reads them back every way a keeper could, and a few ways that isolate one cost:
 *
 *   - reader/<chunk>: the keeper's path, `slots / chunk` reader eth_calls sent concurrently;
 *   - getStorageAt/parallel: one eth_getStorageAt per slot, all in flight at once;
 *   - getStorageAt/batch: JSON-RPC batches of 1,000 eth_getStorageAt (the EDR provider's own
 *     request handler, as a JSON-RPC server hands it a batch);
 *   - sameSlot: the reader, all keys equal (one cold access, the rest warm): the EVM's steps and
 *     EDR's per-step trace recording with almost no state access;
 *   - echo: code that copies calldata to its output in 5 steps: the JSON encoding of the same bytes
 *     in and out, with no per-slot execution;
 * and records the trace EDR returns with every eth_call (steps recorded per slot).
 *
 * Run with `npx hardhat run bench/rescan-node-floor.ts` (NODE_FLOOR_SLOTS, default 40,000).
 * Merges `nodeFloor` into the `scale` section of reports/bench.json, with the load average.
 */
import os from "node:os";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { readBenchReport, mergeBenchSection } from "./lib/bench-report";
import { SLOT_READER_RUNTIME_CODE, straightLineReaderCode } from "../keeper/markets/storage-slot-reader";
import { writeStorageWords } from "../sandbox/storage-writer";

/** Runtime code: calldatacopy(0, 0, calldatasize); return(0, calldatasize). */
const ECHO_CODE = "0x366000600037366000f3";
const CONTRACT = "0x00000000000000000000000000000000000f1005";

interface EdrLike {
  handleRequest(request: string): Promise<{ data: unknown; traces: { trace: unknown[] }[] }>;
}

/** The EDR provider under Hardhat's wrappers (for batches and the trace a response carries). */
function findEdrProvider(root: unknown): EdrLike | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [root];
  while (queue.length > 0) {
    const at = queue.shift();
    if (at === null || typeof at !== "object" || seen.has(at)) continue;
    seen.add(at);
    const record = at as Record<string, unknown>;
    if (typeof record.handleRequest === "function" && typeof record.setVerboseTracing === "function") return at as EdrLike;
    for (const key of Object.keys(record)) if (key.startsWith("_") || key === "provider") queue.push(record[key]);
  }
  return null;
}

export interface NodeFloorRow {
  readonly way: string;
  readonly calls: number;
  readonly ms: number;
  readonly usPerSlot: number;
}

export async function runNodeFloorProbe(
  hre: HardhatRuntimeEnvironment,
  slots = 20_000,
  rounds = 4,
  log: (message: string) => void = () => undefined,
): Promise<{ slots: number; rows: NodeFloorRow[]; traceStepsPerSlot: number; writeMs: number; load1: number }> {
  const send = (method: string, params: unknown[]) => hre.network.provider.send(method, params);
  const keys = Array.from({ length: slots }, (_, i) => "0x" + (0x1000000 + i * 7919).toString(16).padStart(64, "0"));
  const started = Date.now();
  await send("hardhat_setCode", [CONTRACT, "0x00"]);
  await writeStorageWords(
    hre,
    CONTRACT,
    keys.map((key, i) => [key, "0x" + (i + 1).toString(16)]),
  );
  await send("hardhat_mine", ["0x1"]);
  const writeMs = Date.now() - started;
  log(`node floor: ${slots} words written in ${writeMs} ms`);
  const block = "0x" + (await hre.ethers.provider.getBlockNumber()).toString(16);
  const rows: NodeFloorRow[] = [];
  const call = (code: string, chunk: readonly string[]) =>
    send("eth_call", [
      { to: CONTRACT, data: "0x" + chunk.map((k) => k.slice(2)).join(""), gas: "0xe4e1c0" },
      block,
      { [CONTRACT]: { code } },
    ]) as Promise<string>;
  const chunks = (list: readonly string[], size: number) =>
    Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));
  // Every way runs `rounds` times, interleaved with the others, and keeps its fastest run: on a
  // shared machine the other processes' bursts land on one way or another, the minimum is the node's.
  const ways: { way: string; calls: number; work: () => Promise<void> }[] = [];
  const add = (way: string, calls: number, work: () => Promise<void>) => ways.push({ way, calls, work });
  for (const size of [5_000, 1_000, 250]) {
    const parts = chunks(keys, size);
    add(`reader/${size}`, parts.length, async () => {
      const answers = await Promise.all(parts.map((part) => call(SLOT_READER_RUNTIME_CODE, part)));
      if (BigInt("0x" + answers[0].slice(2, 66)) !== 1n) throw new Error("node floor: the reader read the wrong first word");
    });
  }
  for (const size of [1_000, 250]) {
    const parts = chunks(keys, size);
    add(`straightLineReader/${size}`, parts.length, async () => {
      const answers = await Promise.all(parts.map((part) => call(straightLineReaderCode(part.length), part)));
      if (BigInt("0x" + answers[0].slice(2, 66)) !== 1n) throw new Error("node floor: the reader read the wrong first word");
    });
  }
  add("reader/1000 sequential", Math.ceil(slots / 1_000), async () => {
    for (const part of chunks(keys, 1_000)) await call(SLOT_READER_RUNTIME_CODE, part);
  });
  const same = keys.map(() => keys[0]);
  add("sameSlot/1000", Math.ceil(slots / 1_000), async () => {
    await Promise.all(chunks(same, 1_000).map((part) => call(SLOT_READER_RUNTIME_CODE, part)));
  });
  add("echo/1000", Math.ceil(slots / 1_000), async () => {
    await Promise.all(chunks(keys, 1_000).map((part) => call(ECHO_CODE, part)));
  });
  add("getStorageAt/parallel", slots, async () => {
    await Promise.all(keys.map((key) => send("eth_getStorageAt", [CONTRACT, key, block])));
  });
  const edr = findEdrProvider(hre.network.provider);
  let traceStepsPerSlot = -1;
  if (edr) {
    add("getStorageAt/batch1000", Math.ceil(slots / 1_000), async () => {
      const batches = chunks(keys, 1_000).map((part) =>
        JSON.stringify(part.map((key, id) => ({ jsonrpc: "2.0", id, method: "eth_getStorageAt", params: [CONTRACT, key, block] }))),
      );
      const answers = await Promise.all(batches.map((body) => edr.handleRequest(body)));
      const first = answers[0].data;
      const parsed = (typeof first === "string" ? JSON.parse(first) : first) as unknown;
      // EDR answers a batch as one response whose result is the array of answers.
      const answersOf = Array.isArray(parsed) ? parsed : (parsed as { result?: unknown }).result;
      if (!Array.isArray(answersOf) || answersOf.length !== 1_000)
        throw new Error(`node floor: EDR answered a batch with ${JSON.stringify(parsed).slice(0, 200)}`);
    });
  } else log("node floor: EDR provider not reachable under Hardhat's wrappers; batch and trace rows skipped");
  const best = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    for (const { way, work } of ways) {
      const began = process.hrtime.bigint();
      await work();
      const ms = Number(process.hrtime.bigint() - began) / 1e6;
      if (round > 0) best.set(way, Math.min(best.get(way) ?? Infinity, ms)); // round 0 warms V8 and the node
    }
  }
  for (const { way, calls } of ways) {
    const ms = best.get(way)!;
    rows.push({ way, calls, ms: Math.round(ms), usPerSlot: Math.round((ms * 1000) / slots) });
    log(`node floor: ${way}: ${Math.round(ms)} ms, ${((ms * 1000) / slots).toFixed(1)} µs per slot (${calls} calls)`);
  }
  if (edr) {
    const probe = keys.slice(0, 1_000);
    const response = await edr.handleRequest(
      JSON.stringify({
        method: "eth_call",
        params: [
          { to: CONTRACT, data: "0x" + probe.map((k) => k.slice(2)).join(""), gas: "0xe4e1c0" },
          block,
          { [CONTRACT]: { code: SLOT_READER_RUNTIME_CODE } },
        ],
      }),
    );
    const steps = response.traces.reduce(
      (sum, t) => sum + t.trace.filter((item) => typeof item === "object" && item !== null && "pc" in item).length,
      0,
    );
    traceStepsPerSlot = Math.round((steps / probe.length) * 10) / 10;
    log(`node floor: one reader eth_call of ${probe.length} slots came back with ${steps} recorded trace steps`);
  }
  return { slots, rows, traceStepsPerSlot, writeMs, load1: Math.round(os.loadavg()[0] * 100) / 100 };
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as HardhatRuntimeEnvironment;
  const slots = process.env.NODE_FLOOR_SLOTS ? Number(process.env.NODE_FLOOR_SLOTS) : undefined;
  runNodeFloorProbe(hre, slots, undefined, console.log)
    .then((result) => {
      const previous = readBenchReport().scale;
      mergeBenchSection("scale", { ...(typeof previous === "object" && previous !== null ? previous : {}), nodeFloor: result });
      console.log(`node floor: ${JSON.stringify(result)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
