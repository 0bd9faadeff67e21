/**
 * Child process for the frozen-keeper tests (postgres-freeze.test.ts): a keeper's journal and lease, nothing else,
 * so the parent can SIGSTOP and SIGCONT it while it does to its database whatever a frozen keeper meets (its backend
 * terminated, its call held by a lock). It holds the leader lease (renewed every 300 ms, as a leading keeper does)
 * and prints one JSON line per event on stdout: {"ready":…} once it leads, {"alert":…} / {"resolved":…} for what the
 * lease raises, {"renewed":…} after each renewal, {"log":…} for the lease's warnings and errors.
 *
 * Usage: node -r ts-node/register frozen-keeper-child.ts <journal url>
 * Mocha loads every file under test/, so the work runs only when this is the main module.
 */
import { Writable } from "node:stream";
import { Journal } from "../../../../keeper/journal/journal";
import { Leadership } from "../../../../keeper/engine/leadership";
import { createLogger } from "../../../../keeper/telemetry/logger";

const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

function run(url: string): void {
  const journal = Journal.open(url);
  const logger = createLogger({
    format: "json",
    level: "warn",
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        say({ log: JSON.parse(chunk.toString()) as unknown });
        done();
      },
    }),
  });
  const leadership = new Leadership({ journal, leaseMs: 60_000, refreshMs: 300, logger });
  leadership.reportOutagesTo({
    dispatch: async (alert) => say({ alert: alert.key, title: alert.title, detail: alert.detail }),
    resolve: async (key) => say({ resolved: key }),
  });
  if (!leadership.tryAcquire()) throw new Error("the child could not take the lease");
  // Every renewal is told, so the parent sees the journal answer again after a freeze.
  setInterval(() => {
    const renewed = leadership.tryAcquire();
    say({ renewed, leader: leadership.isLeader, at: Date.now() });
  }, 300);
  say({ ready: true, pid: process.pid });
}

if (require.main === module) {
  const [url] = process.argv.slice(2);
  if (url === undefined) throw new Error("usage: frozen-keeper-child.ts <journal url>");
  run(url);
}
