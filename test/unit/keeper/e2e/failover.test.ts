/**
 * Two keepers, one journal: keeper processes (`npx hardhat keeper --network localhost`) sharing a journal
 * in a real PostgreSQL database (the run's embedded server, test/shared/postgres-server.ts) and one key,
 * against this test's in-process chain served over HTTP. One leads (holds the journal's leader lease and
 * sends); the other stands by warm.
 *
 *   - kill -9 of the leader right after a price step: the standby takes the lease over and the
 *     liquidation lands exactly once, no nonce is used twice, the journal settles;
 *   - a leader frozen with SIGSTOP past its lease, then resumed: the standby has taken over and
 *     liquidated; the resumed one stands down and sends nothing;
 *   - the database lost right after a price step (its server stopped, and its address silent — connections
 *     accepted and never answered, as a lost availability zone looks — through a TCP proxy the keepers reach it
 *     by): no keeper sends (every send is fenced by the database), the leader says so once (log line and
 *     alert), /readyz turns not ready and /healthz, /readyz, /metrics and /status keep answering at once (the
 *     journal fails fast instead of holding the keeper's thread; keeper_journal_database_up 0; /status shows the
 *     role and says the run's journal figures are unavailable); the database back:
 *     exactly one keeper leads, the liquidation lands once, nothing journalled before the outage is lost, no
 *     nonce is used twice.
 *
 * The chain mines only when the test says so (handle.mine), so "sent twice" would show as two
 * transactions from the key, never hidden by a quick inclusion.
 */
import hre from "hardhat";
import { expect } from "chai";
import { Journal } from "../../../../keeper/journal/journal";
import type { KeeperProcess, KeeperStatus } from "../../../shared/keeper-process";
import { KeeperTestbed } from "../../../shared/keeper-testbed";
import { postgresServer } from "../../../shared/postgres-server";
import { TcpProxy } from "../../../shared/tcp-proxy";

/** The role a /status body names; undefined for a body without one (a 500's `{ error }`), which waitFor then keeps polling past. */
const roleOf = (s: KeeperStatus) => (s.leadership as { role?: string } | undefined)?.role;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("keeper e2e: failover between two keeper processes sharing a PostgreSQL journal", function () {
  this.timeout(900_000);
  let testbed: KeeperTestbed;
  let journalUrl: string;
  /** The keepers reach the database through it, so the test can make the database's address fall silent. */
  let databaseProxy: TcpProxy;
  const keepers: KeeperProcess[] = [];

  before(async () => {
    const server = await postgresServer();
    journalUrl = await server.createDatabase("failover");
    databaseProxy = await TcpProxy.start({ host: "127.0.0.1", port: server.port });
    // A goes under with a 3% fall (the kill -9 test), B with a 7% one (the SIGSTOP test), C with a 12% one
    // (the database-loss test).
    testbed = await KeeperTestbed.open(hre, {
      label: "failover",
      borrowers: [
        { seed: 951, healthFactor: 1.02 },
        { seed: 952, healthFactor: 1.06 },
        { seed: 953, healthFactor: 1.12 },
      ],
      keeperConfig: { journal: { lease: { seconds: 2, refreshSeconds: 0.5 } } },
    });
  });

  after(async () => {
    await testbed?.close();
    await databaseProxy?.close();
  });

  async function startKeeper(): Promise<KeeperProcess> {
    const keeper = await testbed.startKeeper({ journal: databaseProxy.postgresUrl(journalUrl) });
    keepers.push(keeper);
    return keeper;
  }

  const liquidationsOf = (borrower: string) => testbed.liquidationsOf(borrower);
  const borrower = (index: number) => testbed.borrowers[index]!.address;

  /** Mines block by block (each keeper reacts to each) until `borrower` is liquidated or `blocks` have passed. */
  async function mineUntilLiquidated(leader: KeeperProcess, borrower: string, blocks = 10): Promise<void> {
    for (let block = 0; block < blocks && (await liquidationsOf(borrower)) === 0; block++) {
      const mined = await testbed.handle.mine();
      await leader.waitFor((s) => (s.head as number) >= mined, `saw block ${mined}`, 60_000);
      await leader.waitFor((s) => (s.inFlight as unknown[]).length > 0, "a liquidation in flight", 5_000).catch(() => undefined);
    }
  }

  /** The journal and the chain agree: nothing open, one execution per used nonce, as many nonces used as transactions mined. */
  async function expectSettledOnce(): Promise<void> {
    // Give the leader a block to settle the last receipt.
    const mined = await testbed.handle.mine();
    // The keeper that leads now (only it settles receipts), whichever of the running ones that is.
    const running = keepers.filter((k) => k.running);
    const roles = await Promise.all(
      running.map(async (k) => {
        const status = await k.status();
        return status === null ? null : roleOf(status);
      }),
    );
    const leader = running[roles.indexOf("leader")];
    expect(leader, `one running keeper leads: ${JSON.stringify(roles)}`).not.to.equal(undefined);
    await leader!.waitFor((s) => (s.head as number) >= mined && (s.inFlight as unknown[]).length === 0, "settled", 60_000);
    const journal = Journal.open(journalUrl, { readonly: true });
    try {
      expect(journal.openIntents(), "no open intent").to.have.length(0);
      const landed = journal.listExecutions().filter((e) => e.state === "included" || e.state === "replaced" || e.state === "failed");
      const nonces = landed.filter((e) => e.state !== "failed" || e.txHash !== null).map((e) => e.nonce);
      expect(new Set(nonces).size, `no nonce twice: ${JSON.stringify(nonces)}`).to.equal(nonces.length);
      expect(await hre.ethers.provider.getTransactionCount(testbed.operator.address, "latest")).to.equal(nonces.length);
      expect(await hre.ethers.provider.getTransactionCount(testbed.operator.address, "pending"), "nothing waiting in the pool").to.equal(
        nonces.length,
      );
    } finally {
      journal.close();
    }
  }

  it("kill -9 of the leader right after a price step: the standby takes over and the liquidation lands exactly once", async () => {
    // Both start at once (each boots Hardhat for seconds): whichever takes the lease first leads, the other stands by.
    const started = await Promise.all(
      [await startKeeper(), await startKeeper()].map(async (keeper) => ({
        keeper,
        status: await keeper.waitFor((s) => s.started === true, "a keeper started"),
      })),
    );
    expect(started.map(({ status }) => roleOf(status)).sort(), "one leads, one stands by").to.deep.equal(["leader", "standby"]);
    const first = started.find(({ status }) => roleOf(status) === "leader")!.keeper;
    const second = started.find(({ status }) => roleOf(status) === "standby")!.keeper;
    const standing = (await second.status())!;
    expect(roleOf(standing)).to.equal("standby");
    const firstInstance = ((await first.status())!.leadership as { instance: string }).instance;
    expect((standing.leadership as { leader: string }).leader, "the standby names the leader").to.equal(firstInstance);

    await testbed.handle.movePrices([{ symbol: "WETH", usd: testbed.initialWethUsd * 0.97 }]);
    const killedAt = Date.now();
    expect((await first.kill()).signal).to.equal("SIGKILL");

    await second.waitFor((s) => roleOf(s) === "leader", "the standby took over", 60_000);
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs, "a 2 s lease: taken over well within a minute").to.be.below(60_000);
    await mineUntilLiquidated(second, borrower(0));
    expect(await liquidationsOf(borrower(0)), "A liquidated exactly once").to.equal(1);
    await expectSettledOnce();
    const journal = Journal.open(journalUrl, { readonly: true });
    try {
      const leadership = journal.listSystemEvents({ kinds: ["leadership"] });
      expect(leadership.map((e) => e.detail).join("\n")).to.match(/taken over/);
    } finally {
      journal.close();
    }
  });

  it("a leader frozen (SIGSTOP) past its lease, then resumed: the standby liquidates, the resumed one sends nothing", async () => {
    const leader = keepers.find((k) => k.running)!;
    expect(roleOf((await leader.status())!)).to.equal("leader");
    const standby = await startKeeper();
    await standby.waitFor((s) => s.started === true && roleOf(s) === "standby", "a new standby");

    leader.signal("SIGSTOP");
    await testbed.handle.movePrices([{ symbol: "WETH", usd: testbed.initialWethUsd * 0.92 }]);
    await standby.waitFor((s) => roleOf(s) === "leader", "the standby took over from the frozen leader", 60_000);
    await mineUntilLiquidated(standby, borrower(1));
    expect(await liquidationsOf(borrower(1)), "B liquidated once, by the new leader").to.equal(1);

    const outputBefore = leader.output.length;
    leader.signal("SIGCONT");
    await leader.waitFor((s) => roleOf(s) === "standby", "the resumed keeper stood down", 60_000);
    for (let i = 0; i < 3; i++) {
      await testbed.handle.mine();
      await sleep(500);
    }
    const afterResume = leader.output.slice(outputBefore);
    expect(afterResume, "the resumed keeper sent nothing").not.to.contain('"msg":"liquidation sent"');
    expect(await liquidationsOf(borrower(1))).to.equal(1);
    await expectSettledOnce();
  });

  it("the database lost mid-run (server stopped, address silent): nobody sends, the leader says so once, is not ready and still answers; back: one leader, C liquidated once", async () => {
    // The leader and the standby the SIGSTOP test left running (started here when this test runs alone).
    const running = keepers.filter((k) => k.running);
    while (running.length < 2) {
      const keeper = await startKeeper();
      await keeper.waitFor((s) => s.started === true, "a keeper started");
      running.push(keeper);
    }
    const leader = (await Promise.all(running.map(async (k) => ((await k.status()) === null ? null : k)))).find(
      (k) => k !== null && k.statuses.length > 0 && roleOf(JSON.parse(k.statuses.at(-1)!) as KeeperStatus) === "leader",
    )!;
    expect(leader, "one of them leads").not.to.equal(undefined);
    const before = journalFacts();
    const sentBefore = await hre.ethers.provider.getTransactionCount(testbed.operator.address, "pending");
    const outputBefore = new Map(running.map((k) => [k, k.output.length]));

    const server = await postgresServer();
    await server.stop();
    databaseProxy.silence(true);
    try {
      // The price step lands while the leader's own estimate of its lease still runs: whatever it
      // tries is refused by the journal or the fence, never sent.
      await testbed.handle.movePrices([{ symbol: "WETH", usd: testbed.initialWethUsd * 0.85 }]);
      for (let i = 0; i < 3; i++) {
        await testbed.handle.mine();
        await sleep(1_000);
      }
      for (const keeper of running) {
        // Once a keeper has met the outage (the one call that met it waits out its connect timeout), its journal
        // fails fast: every route answers at once, many times over, instead of queueing behind journal calls.
        await waitForMetric(keeper, "keeper_journal_database_up", 0);
        for (let round = 0; round < 3; round++) {
          for (const route of ["/healthz", "/metrics", "/readyz", "/status"]) {
            const answer = await keeper.get(route, 2_000);
            expect(answer, `${route} answered while the database is away`).not.to.equal(null);
            if (route === "/readyz") {
              expect(answer!.status, `not ready without the journal: ${answer!.body}`).to.equal(503);
              expect(answer!.body).to.match(/journal/);
            }
            if (route === "/status") {
              // What the operator needs during the outage is in memory: the role; the journal's figures say why they are missing.
              expect(answer!.status, `/status without the journal: ${answer!.body}`).to.equal(200);
              const status = JSON.parse(answer!.body) as KeeperStatus & { run: { unavailable?: string } };
              expect(roleOf(status), answer!.body).to.be.oneOf(["leader", "standby"]);
              expect(status.run.unavailable, answer!.body).to.match(/journal could not be read/);
            }
          }
        }
        expect(metricOf((await keeper.get("/metrics", 2_000))!.body, "keeper_is_leader"), "no keeper leads without its database").to.equal(
          0,
        );
      }
      expect(
        await hre.ethers.provider.getTransactionCount(testbed.operator.address, "pending"),
        "nothing sent while the database is away",
      ).to.equal(sentBefore);
      expect(await liquidationsOf(borrower(2))).to.equal(0);
      const outage = leader.output.slice(outputBefore.get(leader)!);
      expect(count(outage, '"msg":"the journal\'s database is unreachable'), `said once:\n${outage.slice(-3_000)}`).to.equal(1);
      const errors = outage.split("\n").filter((line) => line.startsWith('{"level":50'));
      const messages = errors.map((line) => (JSON.parse(line) as { msg: string }).msg);
      // The lease's "unreachable" (the loop tells its outage once, as a warning); repeats are debug lines.
      expect(messages.length, `one error line per incident, not one per poll: ${JSON.stringify(messages)}`).to.be.at.most(2);
      expect(count(outage, '"alertKey":"journal-database-unreachable","severity":"critical","action":"trigger"'), "alerted once").to.equal(
        1,
      );
    } finally {
      await server.start();
      databaseProxy.silence(false);
    }

    const leaders = await waitForOneLeader(running);
    await mineUntilLiquidated(leaders, borrower(2));
    expect(await liquidationsOf(borrower(2)), "C liquidated exactly once").to.equal(1);
    for (const keeper of running) expect(keeper.running, "no keeper died of the outage").to.equal(true);
    await expectSettledOnce();
    const after = journalFacts();
    for (const execution of before.executions) {
      const now = after.executions.get(execution[0]);
      expect(now, `execution ${execution[0]} kept`).not.to.equal(undefined);
      expect(now!.txHash, `execution ${execution[0]} keeps its transaction`).to.equal(execution[1].txHash);
    }
    const lostEvents = [...before.systemEvents].filter((id) => !after.systemEvents.has(id));
    expect(lostEvents, "every system event journalled before the outage kept").to.deep.equal([]);
    expect(leader.output.slice(outputBefore.get(leader)!), "the return is said").to.contain("the journal's database answers again");
  });

  function count(text: string, needle: string): number {
    return text.split(needle).length - 1;
  }

  function metricOf(text: string, name: string): number {
    const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line === undefined ? NaN : Number(line.split(" ").at(-1));
  }

  async function isLeaderMetric(keeper: KeeperProcess): Promise<number> {
    const metrics = await keeper.get("/metrics");
    return metrics === null ? NaN : metricOf(metrics.body, "keeper_is_leader");
  }

  /** Waits (up to 60 s) until the keeper's /metrics shows `name` at `value`. */
  async function waitForMetric(keeper: KeeperProcess, name: string, value: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const metrics = await keeper.get("/metrics");
      if (metrics !== null && metricOf(metrics.body, name) === value) return;
      if (Date.now() > deadline)
        throw new Error(
          `${name} did not reach ${value}: ${metrics?.body.slice(0, 2_000)}\nrunning ${keeper.running}; output:\n${keeper.output.slice(-4_000)}`,
        );
      await sleep(250);
    }
  }

  /** Waits until exactly one of `candidates` leads and the others stand by; the leader. */
  async function waitForOneLeader(candidates: readonly KeeperProcess[]): Promise<KeeperProcess> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const roles = await Promise.all(candidates.map(async (k) => (await isLeaderMetric(k)) === 1));
      const ready = await Promise.all(candidates.map(async (k) => (await k.get("/readyz"))?.status === 200));
      if (roles.filter(Boolean).length === 1 && ready.every(Boolean)) {
        await sleep(1_500); // past a refresh or two: still exactly one
        const again = await Promise.all(candidates.map(async (k) => (await isLeaderMetric(k)) === 1));
        expect(again, "still exactly one leader").to.deep.equal(roles);
        return candidates[roles.indexOf(true)]!;
      }
      if (Date.now() > deadline) throw new Error(`no single leader after the database came back: ${JSON.stringify({ roles, ready })}`);
      await sleep(250);
    }
  }

  function journalFacts(): { executions: Map<string, { txHash: string | null }>; systemEvents: Set<number> } {
    const journal = Journal.open(journalUrl, { readonly: true });
    try {
      return {
        executions: new Map(journal.listExecutions().map((e) => [e.planId, { txHash: e.txHash }])),
        systemEvents: new Set(journal.listSystemEvents().map((e) => e.id)),
      };
    } finally {
      journal.close();
    }
  }
});
