/**
 * The journal's leader lease (keeper-lease.ts) and an instance's hold on it (engine/leadership.ts):
 * taken only when free or expired by the database's clock, renewed by its holder, released on stop,
 * `epoch` counting holders; `isLeader` running out by itself when renewals stop; refresh at most half
 * the lease. Real journal; short real leases (hundreds of ms) rather than a fake clock, because the
 * lease is judged by the database's own clock.
 */
import { Writable } from "node:stream";
import { expect } from "chai";
import { Journal } from "../../../../keeper/journal/journal";
import { leaseIsLive } from "../../../../keeper/journal/keeper-lease";
import { JOURNAL_DATABASE_ALERT_KEY, Leadership, LeaseSettingsError } from "../../../../keeper/engine/leadership";
import { AlertDispatcher } from "../../../../keeper/alerts/alert-dispatcher";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { KeeperMetrics } from "../../../../keeper/telemetry/metrics";
import { JOURNAL_BACKENDS } from "../../../shared/journal-backends";
import { makeTempDir, removeDir } from "./journal-fixtures";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of JOURNAL_BACKENDS)
  describe(`journal: the leader lease (${backend.name})`, function () {
    this.timeout(60_000);
    let dir: string;
    let journal: Journal;
    const logger = createLogger({ level: "silent" });

    beforeEach(async () => {
      dir = makeTempDir("lease");
      journal = Journal.open(await backend.newLocation(dir));
    });

    afterEach(() => {
      journal.close();
      removeDir(dir);
    });

    it("is taken when free, refused to a second holder while live, renewed by its holder, and taken over once expired", async () => {
      const first = journal.acquireLease("a", "pid 1", 300)!;
      expect(first).to.include({ holder: "a", epoch: 1 });
      expect(journal.acquireLease("b", "pid 2", 300), "live: refused").to.equal(undefined);
      const renewed = journal.acquireLease("a", "pid 1", 300)!;
      expect(renewed.epoch, "a renewal keeps the epoch").to.equal(1);
      expect(renewed.acquiredAt).to.equal(first.acquiredAt);
      expect(renewed.expiresAt).to.be.at.least(first.expiresAt);

      await sleep(350);
      expect(leaseIsLive(journal.leaseView())).to.equal(false);
      const taken = journal.acquireLease("b", "pid 2", 300)!;
      expect(taken).to.include({ holder: "b", holderInfo: "pid 2", epoch: 2 });
      expect(journal.acquireLease("a", "pid 1", 300), "the old holder cannot renew a lease it lost").to.equal(undefined);
    });

    it("is given back on release, so the next holder need not wait", () => {
      journal.acquireLease("a", "pid 1", 60_000);
      expect(journal.releaseLease("b"), "only the holder releases").to.equal(false);
      expect(journal.releaseLease("a")).to.equal(true);
      expect(journal.acquireLease("b", "pid 2", 60_000)).to.include({ holder: "b", epoch: 2 });
    });

    describe("Leadership", () => {
      it("refuses a refresh longer than half the lease", () => {
        expect(() => new Leadership({ journal, leaseMs: 1_000, refreshMs: 600, logger })).to.throw(
          LeaseSettingsError,
          /at most half the lease/,
        );
      });

      it("counts itself leader only while its last renewal can still be in force, and the database agrees", async () => {
        const mine = new Leadership({ journal, leaseMs: 300, refreshMs: 100, logger });
        const other = new Leadership({ journal, leaseMs: 300, refreshMs: 100, logger });
        expect(mine.tryAcquire()).to.equal(true);
        expect(mine.isLeader).to.equal(true);
        expect(mine.fence().held).to.equal(true);
        expect(other.tryAcquire()).to.equal(false);
        expect(other.fence()).to.deep.include({ held: false });
        expect(other.fence().detail).to.contain(`held by ${mine.holderInfo}`);

        // No renewals (a frozen or cut-off instance): the estimate runs out by itself, and the lease moves.
        await sleep(350);
        expect(mine.isLeader).to.equal(false);
        expect(other.tryAcquire()).to.equal(true);
        expect(mine.tryAcquire()).to.equal(false);
        expect(mine.fence().held).to.equal(false);
        expect(other.acquisitions).to.equal(1);
      });

      it("keeps the lease with its timer, and releases it on stop", async () => {
        const mine = new Leadership({ journal, leaseMs: 300, refreshMs: 100, logger });
        expect(mine.tryAcquire()).to.equal(true);
        mine.start();
        await sleep(700);
        expect(mine.isLeader, "renewed past two lease lengths").to.equal(true);
        expect(mine.renewals).to.be.at.least(3);
        mine.stop();
        expect(mine.isLeader).to.equal(false);
        expect(leaseIsLive(journal.leaseView())).to.equal(false);
      });

      it("exports keeper_is_leader, keeper_lease_renewals_total and keeper_failovers_total", async () => {
        const metricsA = new KeeperMetrics();
        const metricsB = new KeeperMetrics();
        const a = new Leadership({ journal, leaseMs: 300, refreshMs: 100, logger, metrics: metricsA });
        const b = new Leadership({ journal, leaseMs: 300, refreshMs: 100, logger, metrics: metricsB });
        const value = async (metrics: KeeperMetrics, name: string) =>
          (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value;
        a.tryAcquire();
        a.tryAcquire();
        b.tryAcquire();
        expect(await value(metricsA, "keeper_is_leader")).to.equal(1);
        expect(await value(metricsA, "keeper_lease_renewals_total")).to.equal(1);
        expect(await value(metricsB, "keeper_is_leader")).to.equal(0);
        await sleep(350);
        expect(b.tryAcquire(), "taken over once expired").to.equal(true);
        expect(await value(metricsB, "keeper_failovers_total"), "epoch 2: a failover").to.equal(1);
        expect(await value(metricsB, "keeper_is_leader")).to.equal(1);
        a.tryAcquire();
        expect(await value(metricsA, "keeper_is_leader"), "the old leader sees it lost").to.equal(0);
        expect(await value(metricsA, "keeper_failovers_total"), "its first lease (epoch 1) was no failover").to.equal(0);
      });

      it("takes a database lost between the lease's two statements as an outage (keeper_journal_database_up 0), never a crash", async () => {
        // Seen in the failover e2e: the lease was held by another instance, so the standby read it back, and the
        // server was shutting down by then. The throw escaped the renewal timer and killed the keeper.
        journal.acquireLease("other", "pid 2", 60_000);
        let down = false;
        const flaky = {
          acquireLease: (...args: Parameters<Journal["acquireLease"]>) => {
            const lease = journal.acquireLease(...args);
            down = true; // the server goes away right after the first statement answered
            return lease;
          },
          leaseView: () => {
            if (down)
              throw new Error("journal postgresql://127.0.0.1/x: the database is unreachable (the database system is shutting down)");
            return journal.leaseView();
          },
        } as unknown as Journal;
        const metrics = new KeeperMetrics();
        const standby = new Leadership({ journal: flaky, leaseMs: 300, refreshMs: 100, logger, metrics });
        const value = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value;
        expect(await value("keeper_journal_database_up")).to.equal(1);
        expect(standby.tryAcquire()).to.equal(false);
        expect(await value("keeper_journal_database_up")).to.equal(0);
        expect(await value("keeper_is_leader")).to.equal(0);
      });

      it("takes a database outage as one incident: one error line and one critical alert, resolved when it answers again", async () => {
        // The outage is played by a journal whose lease calls throw as node-postgres does when the server is
        // gone (the keeper-process test in e2e/failover.test.ts stops a real server).
        let down = false;
        const gone = () => {
          if (down) throw new Error("journal postgresql://127.0.0.1/x: connect ECONNREFUSED 127.0.0.1:5432");
        };
        const flaky = {
          acquireLease: (...args: Parameters<Journal["acquireLease"]>) => (gone(), journal.acquireLease(...args)),
          leaseView: () => (gone(), journal.leaseView()),
          releaseLease: (holder: string) => (gone(), journal.releaseLease(holder)),
        } as unknown as Journal;
        const lines: { level: number; msg: string }[] = [];
        const destination = new Writable({
          write(chunk: Buffer, _encoding, done) {
            for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
            done();
          },
        });
        const captured = createLogger({ level: "debug", format: "json", destination });
        const alerts = new AlertDispatcher({ keeper: "chimera-test", targets: [] });
        const leader = new Leadership({ journal: flaky, leaseMs: 300, refreshMs: 100, logger: captured });
        leader.reportOutagesTo(alerts);
        expect(leader.tryAcquire()).to.equal(true);

        down = true;
        for (let i = 0; i < 5; i++) expect(leader.tryAcquire(), "no lease without the database").to.equal(false);
        expect(leader.fence().held, "the fence refuses without the database").to.equal(false);
        await sleep(350);
        expect(leader.isLeader, "the lease ran out by itself").to.equal(false);
        await sleep(10);
        const errors = lines.filter((l) => l.level >= 50);
        expect(errors.map((l) => l.msg)).to.have.length(1);
        expect(errors[0]!.msg).to.match(/the journal's database is unreachable .*ECONNREFUSED.*this keeper led: it sends nothing/);
        expect(
          lines.filter((l) => l.level === 20 && /still does not answer/.test(l.msg)),
          "the retries at debug level",
        ).to.have.length(4);
        const raised = alerts.recent().filter((a) => a.key === JOURNAL_DATABASE_ALERT_KEY);
        expect(raised.map((a) => [a.action, a.severity])).to.deep.equal([["trigger", "critical"]]);

        down = false;
        expect(leader.tryAcquire(), "leads again once the database answers").to.equal(true);
        await sleep(10);
        expect(lines.filter((l) => /answers again/.test(l.msg))).to.have.length(1);
        expect(
          alerts
            .recent()
            .filter((a) => a.key === JOURNAL_DATABASE_ALERT_KEY)
            .map((a) => a.action),
          "newest first",
        ).to.deep.equal(["resolve", "trigger"]);
        expect(leader.tryAcquire(), "a renewal after the outage says nothing more").to.equal(true);
        expect(lines.filter((l) => /answers again|unreachable/.test(l.msg))).to.have.length(2);
        leader.stop();
      });
    });
  });
