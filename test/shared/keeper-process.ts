/**
 * `npx hardhat keeper` as a real, separate operating-system process, for the tests that must kill one
 * (SIGKILL, SIGSTOP) or run two side by side: Node runs Hardhat's CLI directly (not through npx), so a
 * signal the test sends reaches the keeper itself and its exit is what the test sees. Output (progress
 * lines and JSON logs) is captured; `/status` is read over HTTP on the port the test gave it.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";

/**
 * The environment in which a test's child process (`hardhat keeper`, a task) starts quickly, changing nothing it
 * runs: ts-node transpiles with SWC (@swc/core) instead of TypeScript's compiler, through a tsconfig that extends
 * the project's and only adds `"ts-node": { "swc": true }` (ts-node reads no environment variable for it). A
 * keeper process loads ~250 TypeScript files (Hardhat's config and tasks, the keeper, the TypeChain bindings)
 * before it reads a block: ~14 s of CPU with TypeScript's transpiler, ~4 s with SWC. Still transpile-only, as
 * Hardhat runs it anyway: types are checked by `npm run typecheck`, not at start-up.
 */
export function fastTranspile(root: string): Readonly<Record<string, string>> {
  swcProject ??= writeSwcProject(root);
  return { TS_NODE_PROJECT: swcProject, TS_NODE_TRANSPILE_ONLY: "true" };
}

/**
 * ...and the keeper task skips its compile step too (CHIMERA_PREBUILT=1, as a packaged install runs it): `hardhat
 * test` (and `hardhat run`) compiled before any test ran, an up-to-date compile still costs ~9 s of CPU per process
 * (source hashing, TypeChain), and two keepers started together would both rewrite the TypeChain bindings.
 */
export function prebuilt(root: string): Readonly<Record<string, string>> {
  return { ...fastTranspile(root), CHIMERA_PREBUILT: "1" };
}

let swcProject: string | null = null;

function writeSwcProject(root: string): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-swc-"));
  const file = path.join(directory, "tsconfig.json");
  fs.writeFileSync(file, JSON.stringify({ extends: path.join(root, "tsconfig.json"), "ts-node": { swc: true } }));
  process.once("exit", () => fs.rmSync(directory, { recursive: true, force: true }));
  return file;
}

export interface KeeperProcessOptions {
  /** The project root (hre.config.paths.root). */
  readonly root: string;
  /** Everything after `hardhat`: `keeper --network localhost …`. */
  readonly args: readonly string[];
  /** Added to this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The port the keeper's telemetry server listens on (KEEPER_METRICS_PORT). */
  readonly metricsPort: number;
}

export interface KeeperExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type KeeperStatus = Record<string, unknown>;

export class KeeperProcess {
  output = "";
  /** Bodies of /status fetched while it ran. */
  readonly statuses: string[] = [];
  readonly exited: Promise<KeeperExit>;
  readonly #child: ChildProcessByStdio<null, Readable, Readable>;
  readonly #port: number;

  private constructor(options: KeeperProcessOptions) {
    this.#port = options.metricsPort;
    this.#child = spawn(process.execPath, [require.resolve("hardhat/internal/cli/bootstrap"), ...options.args], {
      cwd: options.root,
      env: { ...process.env, ...prebuilt(options.root), ...options.env, KEEPER_METRICS_PORT: String(options.metricsPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child.stdout.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.#child.stderr.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.#child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  static start(options: KeeperProcessOptions): KeeperProcess {
    return new KeeperProcess(options);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** /status, parsed; null while the server does not answer. */
  async status(): Promise<KeeperStatus | null> {
    try {
      const body = await (await fetch(`http://127.0.0.1:${this.#port}/status`)).text();
      this.statuses.push(body);
      return JSON.parse(body) as KeeperStatus;
    } catch {
      return null;
    }
  }

  /** Any telemetry route (/readyz, /metrics), raw; null while the server does not answer (within `timeoutMs`, if given). */
  async get(route: string, timeoutMs?: number): Promise<{ readonly status: number; readonly body: string } | null> {
    try {
      const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
      const response = await fetch(`http://127.0.0.1:${this.#port}${route}`, { signal });
      return { status: response.status, body: await response.text() };
    } catch {
      return null;
    }
  }

  /**
   * Polls /status until `ready` holds; fails naming `what`, the last status and the output if the keeper
   * exits or the time runs out (generous by default: a keeper process boots Hardhat and loads its markets
   * first, and CI machines are shared).
   */
  async waitFor(ready: (status: KeeperStatus) => boolean, what: string, timeoutMs = 300_000): Promise<KeeperStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: KeeperStatus | null = null;
    for (;;) {
      if (!this.running) throw new Error(`the keeper exited before "${what}"; output:\n${this.output.slice(-4_000)}`);
      last = await this.status();
      if (last !== null && ready(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(
          `the keeper did not reach "${what}" within ${timeoutMs / 1000} s; last status: ${JSON.stringify(last)}; output:\n${this.output.slice(-2_000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.#child.kill(signal);
  }

  /** SIGKILL (if still running) and wait for the exit. */
  async kill(): Promise<KeeperExit> {
    this.signal("SIGKILL");
    return this.exited;
  }
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
