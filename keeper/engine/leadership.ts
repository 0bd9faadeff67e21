/**
 * This keeper instance's hold on the journal's leader lease (keeper/journal/keeper-lease.ts): taken at
 * start, renewed on a timer every `refreshMs` (at most half the lease, so one late renewal never loses
 * it), released at shutdown. While it is held the instance may sign and send; `isLeader` answers from a
 * local, conservative estimate (the monotonic time the last successful renewal STARTED, plus the lease),
 * so an instance that cannot reach its database, or was frozen, stops counting itself leader by itself,
 * without asking anyone; `fence()` asks the database, for the last check before a send.
 *
 * A database that stops answering is one incident, not one per renewal: the first failed renewal is
 * logged as an error and raised as the critical alert `journal-database-unreachable` (once alerts are
 * wired in, `reportOutagesTo`); the retries that follow are debug lines; the first renewal that works
 * again says so and resolves the alert. keeper_journal_database_up shows the outage on /metrics, which keeps
 * answering throughout (the journal fails fast while its database is away: journal/postgres-connection.ts).
 */
import crypto from "node:crypto";
import os from "node:os";
import { errorMessage } from "../core/error-message";
import type { Journal } from "../journal/journal";
import { leaseIsLive, type LeaseRecord, type LeaseView } from "../journal/keeper-lease";
import type { Logger } from "../telemetry/logger";
import type { Alert } from "../alerts/alert";
import { Counter, Gauge } from "prom-client";
import type { KeeperMetrics } from "../telemetry/metrics";

export interface LeadershipOptions {
  readonly journal: Journal;
  /** How long a lease lasts after each renewal. */
  readonly leaseMs: number;
  /** How often it is renewed (and, while another instance holds it, tried): at most half the lease. */
  readonly refreshMs: number;
  readonly logger: Logger;
  /** How often a standby tries to take the lease (it is free as soon as it expires). Default 250 ms. */
  readonly standbyPollMs?: number;
  /** Where keeper_is_leader, keeper_lease_renewals_total and keeper_failovers_total are exported. */
  readonly metrics?: KeeperMetrics;
  /** Monotonic clock, ms. Default performance.now. */
  readonly monotonic?: () => number;
  /** Told whenever this instance gains or loses the lease. */
  readonly onChange?: (leader: boolean, lease: LeaseRecord | undefined) => void;
}

/** The alert key of "the journal's database does not answer" (raised once per outage, resolved when it answers). */
export const JOURNAL_DATABASE_ALERT_KEY = "journal-database-unreachable";

/** Where an outage of the journal's database is raised and resolved; the keeper's AlertDispatcher satisfies it. */
export interface OutageAlerts {
  dispatch(alert: Alert): Promise<unknown>;
  resolve(key: string): Promise<unknown>;
}

export class LeaseSettingsError extends Error {
  override readonly name = "LeaseSettingsError";
}

export class Leadership {
  readonly instanceId = crypto.randomUUID();
  readonly holderInfo = `pid ${process.pid} on ${os.hostname()}`;
  readonly #options: LeadershipOptions;
  readonly #monotonic: () => number;
  #heldUntil = -Infinity;
  #lease: LeaseRecord | undefined;
  #leaderSince: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #renewals = 0;
  #acquisitions = 0;
  /** Monotonic time the current database outage was first seen, null while the database answers. */
  #outageSince: number | null = null;
  #alerts: OutageAlerts | null = null;
  readonly #gauges: { isLeader: Gauge; renewals: Counter; failovers: Counter; databaseUp: Gauge } | null;

  constructor(options: LeadershipOptions) {
    if (!(options.leaseMs > 0) || !(options.refreshMs > 0)) throw new LeaseSettingsError("lease and refresh must be positive durations");
    if (options.refreshMs * 2 > options.leaseMs) {
      throw new LeaseSettingsError(
        `the lease refresh (${options.refreshMs} ms) must be at most half the lease (${options.leaseMs} ms), so one late renewal never loses it`,
      );
    }
    this.#options = options;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    const registers = options.metrics === undefined ? null : [options.metrics.registry];
    this.#gauges =
      registers === null
        ? null
        : {
            isLeader: new Gauge({
              name: "keeper_is_leader",
              help: "1 while this instance holds the journal's leader lease (it alone sends)",
              registers,
            }),
            renewals: new Counter({
              name: "keeper_lease_renewals_total",
              help: "Renewals of the leader lease this instance already held",
              registers,
            }),
            failovers: new Counter({
              name: "keeper_failovers_total",
              help: "Times this instance took the leader lease over from another instance (lease epoch > 1)",
              registers,
            }),
            databaseUp: new Gauge({
              name: "keeper_journal_database_up",
              help: "0 while the journal's database does not answer (this instance cannot lead or send), else 1",
              registers,
            }),
          };
    this.#gauges?.isLeader.set(0);
    this.#gauges?.databaseUp.set(1);
  }

  /** Whether this instance holds the lease right now, by its own conservative estimate. */
  get isLeader(): boolean {
    return this.#monotonic() < this.#heldUntil;
  }

  /** The lease as last seen (this instance's or another's). */
  get lease(): LeaseRecord | undefined {
    return this.#lease;
  }

  /** When (database clock, ms) this instance's current leadership began, or null while it is not leader. */
  get leaderSince(): number | null {
    return this.isLeader ? this.#leaderSince : null;
  }

  /** Successful renewals of a lease already held, since start. */
  get renewals(): number {
    return this.#renewals;
  }

  /** Times this instance took the lease over (not counting renewals). */
  get acquisitions(): number {
    return this.#acquisitions;
  }

  /**
   * One attempt to take or renew the lease; true when this instance holds it afterwards. A database
   * error counts as not held (and is logged): the estimate then runs out by itself.
   */
  tryAcquire(): boolean {
    const started = this.#monotonic();
    const wasLeader = this.isLeader;
    let lease: LeaseRecord | undefined;
    try {
      lease = this.#options.journal.acquireLease(this.instanceId, this.holderInfo, this.#options.leaseMs);
    } catch (error) {
      this.#databaseFailed(error, wasLeader);
      this.#changed(wasLeader);
      return false;
    }
    this.#databaseAnswered();
    if (lease === undefined) {
      this.#heldUntil = -Infinity;
      try {
        this.#lease = this.#view().lease;
      } catch (error) {
        // The database went away between the two statements: an outage like any other, never a crash of the timer.
        this.#databaseFailed(error, wasLeader);
      }
      this.#changed(wasLeader);
      return false;
    }
    if (this.#lease?.holder !== this.instanceId || this.#lease.epoch !== lease.epoch) {
      this.#acquisitions += 1;
      this.#leaderSince = lease.acquiredAt;
      if (lease.epoch > 1) this.#gauges?.failovers.inc();
    } else {
      this.#renewals += 1;
      this.#gauges?.renewals.inc();
    }
    this.#lease = lease;
    this.#heldUntil = started + this.#options.leaseMs;
    this.#changed(wasLeader);
    return true;
  }

  /** Raises and resolves database outages through `alerts` from now on (they are assembled after the lease is first taken). */
  reportOutagesTo(alerts: OutageAlerts): void {
    this.#alerts = alerts;
  }

  #databaseFailed(error: unknown, wasLeader: boolean): void {
    const { logger, leaseMs } = this.#options;
    if (this.#outageSince !== null) {
      logger.debug({ error: errorMessage(error) }, "the journal's database still does not answer");
      return;
    }
    this.#outageSince = this.#monotonic();
    this.#gauges?.databaseUp.set(0);
    const consequence = wasLeader
      ? `this keeper led: it sends nothing from now on (every send is fenced by the database) and its lease runs out within ${leaseMs} ms`
      : "this keeper stood by: it cannot take the lease over until the database answers";
    const detail = `the journal's database is unreachable (${errorMessage(error)}); ${consequence}. Nothing already journalled is lost; the keeper retries on its own.`;
    logger.error({ error: errorMessage(error), wasLeader }, detail);
    void this.#alerts?.dispatch({
      key: JOURNAL_DATABASE_ALERT_KEY,
      severity: "critical",
      title: "Journal database unreachable: this keeper cannot send",
      detail: `${this.holderInfo}: ${detail}`,
    });
  }

  #databaseAnswered(): void {
    if (this.#outageSince === null) return;
    const seconds = ((this.#monotonic() - this.#outageSince) / 1_000).toFixed(1);
    this.#outageSince = null;
    this.#gauges?.databaseUp.set(1);
    this.#options.logger.info({ outageSeconds: Number(seconds) }, `the journal's database answers again after ${seconds} s`);
    void this.#alerts?.resolve(JOURNAL_DATABASE_ALERT_KEY);
  }

  /** The database's answer, for the last check before a send: this instance holds a lease that has not expired. */
  fence(): { readonly held: boolean; readonly detail: string } {
    try {
      const view = this.#view();
      const held = leaseIsLive(view) && view.lease!.holder === this.instanceId;
      if (held) return { held, detail: `lease epoch ${view.lease!.epoch} held until ${view.lease!.expiresAt - view.now} ms from now` };
      return {
        held,
        detail:
          view.lease === undefined
            ? "no instance holds the leader lease"
            : view.lease.holder === this.instanceId
              ? `this instance's lease expired ${view.now - view.lease.expiresAt} ms ago`
              : `the leader lease is held by ${view.lease.holderInfo} (epoch ${view.lease.epoch})`,
      };
    } catch (error) {
      return { held: false, detail: `the journal's database did not answer: ${errorMessage(error)}` };
    }
  }

  /** Renews the lease every `refreshMs` while it holds it, and tries to take it every `standbyPollMs` while it does not, until `stop`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#running) return;
    const delay = this.isLeader ? this.#options.refreshMs : Math.min(this.#options.refreshMs, this.#options.standbyPollMs ?? 250);
    this.#timer = setTimeout(() => {
      this.tryAcquire();
      this.#schedule();
    }, delay);
    this.#timer.unref();
  }

  /** Stops renewing and gives the lease back, so the next instance need not wait for it to expire. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const wasLeader = this.isLeader;
    this.#heldUntil = -Infinity;
    try {
      if (wasLeader || this.#lease?.holder === this.instanceId) this.#options.journal.releaseLease(this.instanceId);
    } catch (error) {
      this.#options.logger.warn({ error: errorMessage(error) }, "could not release the leader lease; it expires by itself");
    }
    this.#changed(wasLeader);
  }

  #view(): LeaseView {
    return this.#options.journal.leaseView();
  }

  #changed(wasLeader: boolean): void {
    const leader = this.isLeader;
    this.#gauges?.isLeader.set(leader ? 1 : 0);
    if (leader !== wasLeader) this.#options.onChange?.(leader, this.#lease);
  }
}
