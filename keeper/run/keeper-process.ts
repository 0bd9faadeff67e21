/**
 * The keeper as its own process: `hardhat keeper --network localhost` started with Node (not npx, so signals reach
 * it), pointed at a node by URL through a keeper config file, exactly as an operator runs it against Base. The
 * clock-driven sandbox run, its end-to-end test and the reaction benchmark use it, so the chain's clock never waits
 * for the keeper's event loop and the keeper never shares a process with the chain it races on.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export interface KeeperProcessOptions {
  /** The project root (Hardhat's paths.root): the child runs the same code. */
  readonly root: string;
  readonly configFile: string;
  readonly addressBookFile: string;
  readonly journalPath: string;
  readonly metricsPort: number;
  /** Extra environment: the operator key, the node URLs the config names. */
  readonly env: Readonly<Record<string, string>>;
  /** Every line the keeper prints (stdout and stderr). */
  readonly onLine?: (line: string) => void;
}

export interface KeeperProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  /** The run report the keeper wrote on its way out, if it got that far. */
  readonly reportPath: string | null;
}

export class KeeperProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #exited: Promise<KeeperProcessExit>;
  readonly #metricsPort: number;
  #output = "";

  private constructor(options: KeeperProcessOptions) {
    this.#metricsPort = options.metricsPort;
    this.#child = spawn(
      process.execPath,
      [
        require.resolve("hardhat/internal/cli/bootstrap"),
        "keeper",
        "--network",
        "localhost",
        "--keeper-config",
        options.configFile,
        "--address-book",
        options.addressBookFile,
        "--journal",
        options.journalPath,
      ],
      {
        cwd: options.root,
        env: { ...process.env, KEEPER_METRICS_PORT: String(options.metricsPort), ...options.env },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let pending = "";
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      this.#output += text;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) options.onLine?.(line);
    };
    this.#child.stdout.on("data", take);
    this.#child.stderr.on("data", take);
    this.#exited = new Promise((resolve) =>
      this.#child.on("exit", (code, signal) => {
        if (pending !== "") options.onLine?.(pending);
        resolve({ code, signal, output: this.#output, reportPath: reportPathIn(this.#output) });
      }),
    );
  }

  static start(options: KeeperProcessOptions): KeeperProcess {
    return new KeeperProcess(options);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get output(): string {
    return this.#output;
  }

  get exited(): Promise<KeeperProcessExit> {
    return this.#exited;
  }

  /** The keeper's /status, or null while it does not answer. */
  async status(): Promise<Record<string, unknown> | null> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.#metricsPort}/status`);
      return response.ok ? ((await response.json()) as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  /** Its /metrics text, or null while it does not answer. */
  async metrics(): Promise<string | null> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.#metricsPort}/metrics`);
      return response.ok ? await response.text() : null;
    } catch {
      return null;
    }
  }

  /** Waits until the keeper has started (markets loaded, intents reconciled) and is reacting. */
  async waitStarted(timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitedEarly: KeeperProcessExit | null = null;
    void this.#exited.then((exit) => (exitedEarly = exit));
    for (;;) {
      if (exitedEarly !== null) {
        const exit = exitedEarly as KeeperProcessExit;
        throw new Error(`the keeper process exited before starting (code ${exit.code}):\n${tail(exit.output)}`);
      }
      const status = await this.status();
      if (status?.started === true) return;
      if (Date.now() > deadline) throw new Error(`the keeper process did not start within ${timeoutMs / 1_000} s:\n${tail(this.#output)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Asks it to stop (SIGINT: it finishes its iteration, writes its run report) and waits; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<KeeperProcessExit> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGINT");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * Where the keeper wrote its run report: a piped keeper logs JSON lines only, the "run summary" line carrying
 * `summary.reportPath`; a terminal's summary table ends with "run report: <path>".
 */
function reportPathIn(output: string): string | null {
  for (const line of output.split("\n").reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { summary?: { reportPath?: unknown } };
      if (typeof entry.summary?.reportPath === "string") return entry.summary.reportPath;
    } catch {
      // not a JSON log line
    }
  }
  return /run report: (\S+)/.exec(output)?.[1] ?? null;
}
