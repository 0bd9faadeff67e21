/**
 * The PostgreSQL journal after a freeze: a keeper process stopped (SIGSTOP: a stalled VM, a debugger, swap) while its
 * database went on without it comes back to a connection the server ended, or to a call whose answer arrived while
 * it slept. Neither means the database is unreachable: the journal reconnects and the keeper's lease renews, with no
 * "journal database unreachable" alert. A database that is really gone still raises that alert, and a transaction
 * whose connection died is never finished on a new one (its first half was rolled back by the server).
 *
 * Against the run's real server (test/shared/postgres-server.ts); the frozen keeper is a child process
 * (frozen-keeper-child.ts) so the test can stop and continue it.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { Worker } from "node:worker_threads";
import net from "node:net";
import path from "node:path";
import type { Readable } from "node:stream";
import { expect } from "chai";
import { Client } from "pg";
import { PostgresConnection } from "../../../../keeper/journal/postgres-connection";
import { fastTranspile } from "../../../shared/keeper-process";
import { postgresServer } from "../../../shared/postgres-server";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROOT = path.resolve(__dirname, "../../../..");
/** Above the journal's outer call timeout (postgres-connection.ts CALL_TIMEOUT_MS, 15 s). */
const PAST_THE_CALL_TIMEOUT_MS = 16_000;

interface ChildLine {
  readonly ready?: boolean;
  readonly alert?: string;
  readonly resolved?: string;
  readonly renewed?: boolean;
  readonly leader?: boolean;
  readonly at?: number;
  readonly log?: { msg?: string };
}

class FrozenKeeper {
  readonly lines: ChildLine[] = [];
  #stderr = "";

  private constructor(readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split("\n");
      pending = complete.pop()!;
      for (const line of complete) if (line.startsWith("{")) this.lines.push(JSON.parse(line) as ChildLine);
    });
    child.stderr.on("data", (chunk: Buffer) => void (this.#stderr += chunk.toString()));
  }

  static async start(url: string): Promise<FrozenKeeper> {
    const child = spawn(process.execPath, ["-r", "ts-node/register", path.join(__dirname, "frozen-keeper-child.ts"), url], {
      cwd: ROOT,
      env: { ...process.env, ...fastTranspile(ROOT) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keeper = new FrozenKeeper(child);
    await keeper.waitFor((line) => line.ready === true, "the child leads", 60_000);
    return keeper;
  }

  async waitFor(predicate: (line: ChildLine) => boolean, what: string, timeoutMs: number, from = 0): Promise<ChildLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `${what}: not seen within ${timeoutMs} ms\n${JSON.stringify(this.lines.slice(-10))}\n${this.#stderr.slice(-2_000)}`,
        );
      }
      await sleep(50);
    }
  }

  alerts(from = 0): ChildLine[] {
    return this.lines.slice(from).filter((line) => line.alert !== undefined);
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

/**
 * Between the keeper and its database: `cutQuietly()` ends every session on the server's side and leaves the keeper's
 * sockets open but dead — the first bytes the keeper sends on one get a TCP reset, as from a host or a NAT that lost
 * the connection while the keeper slept — so the keeper learns of the loss only when it uses the connection.
 */
class QuietCutProxy {
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  readonly #sockets = new Set<net.Socket>();
  private constructor(
    readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(upstreamPort: number): Promise<QuietCutProxy> {
    const holder: { proxy?: QuietCutProxy } = {};
    const server = net.createServer((client) => {
      const upstream = net.connect(upstreamPort, "127.0.0.1");
      const pair = { client, upstream };
      holder.proxy!.#pairs.add(pair);
      holder.proxy!.#sockets.add(client).add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const forget = () => void holder.proxy!.#pairs.delete(pair);
      client.on("error", forget).on("close", () => (forget(), upstream.destroy()));
      upstream.on("error", forget).on("close", forget);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    holder.proxy = new QuietCutProxy(server, (server.address() as net.AddressInfo).port);
    return holder.proxy;
  }

  url(databaseUrl: string): string {
    const parsed = new URL(databaseUrl);
    parsed.port = String(this.port);
    return parsed.toString();
  }

  cutQuietly(): void {
    for (const pair of [...this.#pairs]) {
      this.#pairs.delete(pair);
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
      pair.upstream.destroy();
      pair.client.removeAllListeners("data");
      pair.client.on("data", () => pair.client.resetAndDestroy());
      pair.client.on("error", () => undefined);
      // unpipe paused it: read again, so the keeper's next bytes meet the reset.
      pair.client.resume();
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe("PostgreSQL journal: a keeper frozen while its database went on", function () {
  this.timeout(180_000);
  let url: string;
  let admin: Client;
  const children: FrozenKeeper[] = [];

  beforeEach(async () => {
    const server = await postgresServer();
    url = await server.createDatabase("freeze");
    admin = new Client({ connectionString: url });
    // The "database stopped" test ends this session with the server.
    admin.on("error", () => undefined);
    await admin.connect();
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.stop();
    await admin.end().catch(() => undefined);
  });

  /** The keeper's own journal sessions in this test's database (not the test's, not other tests'). */
  async function keeperBackends(): Promise<{ pid: number; waiting: string | null }[]> {
    const { rows } = await admin.query<{ pid: number; wait_event_type: string | null }>(
      "SELECT pid, wait_event_type FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'chimera-keeper'",
    );
    return rows.map((row) => ({ pid: row.pid, waiting: row.wait_event_type }));
  }

  it("a session lost while the keeper was stopped: the lease renews on a new connection, no unreachable alert", async () => {
    const proxy = await QuietCutProxy.start((await postgresServer()).port);
    try {
      const keeper = await FrozenKeeper.start(proxy.url(url));
      children.push(keeper);
      expect(await keeperBackends(), "the keeper's journal session").to.have.length(1);

      keeper.child.kill("SIGSTOP");
      proxy.cutQuietly();
      await sleep(1_000);
      const resumedAt = keeper.lines.length;
      keeper.child.kill("SIGCONT");

      await keeper.waitFor((line) => line.renewed !== undefined, "a renewal after the freeze", 30_000, resumedAt);
      // A few more renewals: none of them may have met an "unreachable" journal.
      const renewedAt = keeper.lines.length;
      await keeper.waitFor((line) => line.renewed !== undefined, "another renewal", 10_000, renewedAt);
      expect(keeper.alerts(resumedAt), "no alert after the freeze").to.deep.equal([]);
      expect(
        keeper.lines.slice(resumedAt).filter((line) => line.renewed === false),
        "every renewal after the freeze held the lease",
      ).to.deep.equal([]);
    } finally {
      await proxy.close();
    }
  });

  it("a call answered while the keeper was stopped past the journal's call timeout: no unreachable alert, the next renewal works", async function () {
    const keeper = await FrozenKeeper.start(url);
    children.push(keeper);
    // Hold the lease row so the keeper's next renewal waits inside its call, then stop the keeper there.
    await admin.query("BEGIN");
    await admin.query("LOCK TABLE keeper_lease IN ACCESS EXCLUSIVE MODE");
    const deadline = Date.now() + 10_000;
    while (!(await keeperBackends()).some((backend) => backend.waiting === "Lock")) {
      if (Date.now() > deadline) throw new Error("the keeper's renewal never waited for the lock");
      await sleep(20);
    }
    keeper.child.kill("SIGSTOP");
    await admin.query("COMMIT");
    await sleep(PAST_THE_CALL_TIMEOUT_MS);
    const resumedAt = keeper.lines.length;
    keeper.child.kill("SIGCONT");

    await keeper.waitFor((line) => line.renewed === true, "a renewal after the freeze", 30_000, resumedAt);
    const renewedAt = keeper.lines.length;
    await keeper.waitFor((line) => line.renewed === true, "another renewal", 10_000, renewedAt);
    expect(keeper.alerts(resumedAt), "no alert after the freeze").to.deep.equal([]);
  });

  it("a database that is really stopped still raises the unreachable alert, and resolves it when it is back", async () => {
    const keeper = await FrozenKeeper.start(url);
    children.push(keeper);
    const server = await postgresServer();
    const before = keeper.lines.length;
    await admin.end();
    await server.stop();
    try {
      const alert = await keeper.waitFor((line) => line.alert !== undefined, "the unreachable alert", 30_000, before);
      expect(alert.alert).to.equal("journal-database-unreachable");
    } finally {
      await server.start();
    }
    await keeper.waitFor((line) => line.resolved === "journal-database-unreachable", "the alert resolved", 30_000, before);
    expect(keeper.alerts(before), "raised once").to.have.length(1);
  });

  it("a transaction whose session died is not finished on a new connection: it fails, and nothing of it is kept", () => {
    const journal = PostgresConnection.open(url);
    const killer = PostgresConnection.open(url);
    try {
      journal.exec("CREATE TABLE freeze_probe (id INTEGER PRIMARY KEY)");
      const pid = journal.get<{ pid: number }>("SELECT pg_backend_pid() AS pid")!.pid;
      expect(() =>
        journal.transaction(() => {
          journal.run("INSERT INTO freeze_probe (id) VALUES (1)");
          killer.get("SELECT pg_terminate_backend(?)", [pid]);
          journal.run("INSERT INTO freeze_probe (id) VALUES (2)");
        }),
      ).to.throw(/connection|transaction/i);
      expect(journal.all("SELECT id FROM freeze_probe"), "neither half of the transaction kept").to.deep.equal([]);
      expect(journal.unreachableSince, "the database answers: not reported unreachable").to.equal(null);
    } finally {
      journal.close();
      killer.close();
    }
  });

  it("a transaction given up while the database was away does not hold later calls once it answers again", async () => {
    const proxy = await ThreadProxy.start((await postgresServer()).port);
    const journal = PostgresConnection.open(proxy.url(url));
    try {
      journal.exec("CREATE TABLE away_probe (id INTEGER PRIMARY KEY)");
      expect(() =>
        journal.transaction(() => {
          journal.run("INSERT INTO away_probe (id) VALUES (1)");
          proxy.cut(); // the session dies, and the address refuses new ones: the database is away
          journal.run("INSERT INTO away_probe (id) VALUES (2)");
        }),
      ).to.throw(/unreachable/);
      proxy.answer();
      // The journal's probe (every 500 ms, on the event loop) lets calls through once the database answers.
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          expect(journal.all("SELECT id FROM away_probe"), "nothing of the given-up transaction kept").to.deep.equal([]);
          break;
        } catch (error) {
          if (Date.now() > deadline || !/unreachable/.test((error as Error).message)) throw error;
          await sleep(100);
        }
      }
      journal.run("INSERT INTO away_probe (id) VALUES (3)");
      expect(journal.all("SELECT id FROM away_probe")).to.deep.equal([{ id: 3 }]);
    } finally {
      journal.close();
      await proxy.close();
    }
  });
});

/**
 * A proxy in a thread of its own, for a journal in THIS thread (whose calls block it): `cut()` resets every connection
 * at its next bytes and refuses new ones until `answer()`. Flags in shared memory, so a cut takes effect before the
 * journal's next statement.
 */
class ThreadProxy {
  private constructor(
    readonly worker: Worker,
    readonly flags: Int32Array,
    readonly port: number,
  ) {}

  static async start(upstreamPort: number): Promise<ThreadProxy> {
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `const { workerData, parentPort } = require("node:worker_threads");
      const net = require("node:net");
      const flags = new Int32Array(workerData.flags);
      const server = net.createServer((client) => {
        if (Atomics.load(flags, 1) === 1) return void client.destroy();
        const born = Atomics.load(flags, 0);
        const upstream = net.connect(workerData.port, "127.0.0.1");
        const cut = () => Atomics.load(flags, 0) !== born;
        client.on("data", (chunk) => (cut() ? (upstream.destroy(), client.resetAndDestroy()) : upstream.write(chunk)));
        upstream.on("data", (chunk) => void (cut() || client.write(chunk)));
        for (const [a, b] of [[client, upstream], [upstream, client]]) a.on("error", () => b.destroy()).on("close", () => b.destroy());
      });
      server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));`,
      { eval: true, workerData: { flags: flags.buffer, port: upstreamPort } },
    );
    const port = await new Promise<number>((resolve) => worker.once("message", resolve));
    return new ThreadProxy(worker, flags, port);
  }

  url(databaseUrl: string): string {
    const parsed = new URL(databaseUrl);
    parsed.port = String(this.port);
    return parsed.toString();
  }

  cut(): void {
    Atomics.add(this.flags, 0, 1);
    Atomics.store(this.flags, 1, 1);
  }

  answer(): void {
    Atomics.store(this.flags, 1, 0);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
