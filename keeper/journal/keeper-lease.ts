/**
 * The `keeper_lease` table: which keeper instance runs this journal, and until when. The lease-lock
 * pattern (as Chainlink's node uses for its single active instance): one row per lease name, taken by an
 * upsert that succeeds only when the row is the caller's own or has expired, with every time read from
 * the database's clock (SqlConnection.nowMsSql), never from the caller's. No advisory locks: nothing is
 * held between statements, so a crashed holder leaves nothing behind but a row that expires, and it
 * works behind connection poolers. `epoch` grows by one with every change of holder.
 */
import type { SqlConnection } from "./sql-connection";

/** The one lease a journal has: the right to sign and send. */
export const LEADER_LEASE = "leader";

export interface LeaseRecord {
  readonly name: string;
  /** The holding instance's id. */
  readonly holder: string;
  /** Printable: pid, host, since. */
  readonly holderInfo: string;
  readonly epoch: number;
  readonly acquiredAt: number;
  readonly renewedAt: number;
  readonly expiresAt: number;
}

export interface LeaseView {
  /** The row, if any keeper ever held the lease. */
  readonly lease: LeaseRecord | undefined;
  /** The database's clock when it was read. */
  readonly now: number;
}

interface LeaseRow {
  name: string;
  holder: string;
  holder_info: string;
  epoch: number;
  acquired_at: number;
  renewed_at: number;
  expires_at: number;
}

export class LeaseStore {
  constructor(private readonly connection: SqlConnection) {}

  /**
   * Takes or renews the lease for `durationMs` from now (the database's now). Returns the lease when the
   * caller holds it afterwards, undefined when another holder's lease has not expired.
   */
  acquire(name: string, holder: string, holderInfo: string, durationMs: number): LeaseRecord | undefined {
    const now = this.connection.nowMsSql;
    const row = this.connection.get<LeaseRow>(
      `INSERT INTO keeper_lease (name, holder, holder_info, epoch, acquired_at, renewed_at, expires_at)
       VALUES (?, ?, ?, 1, ${now}, ${now}, ${now} + ?)
       ON CONFLICT (name) DO UPDATE SET
         holder = excluded.holder,
         holder_info = excluded.holder_info,
         epoch = CASE WHEN keeper_lease.holder = excluded.holder THEN keeper_lease.epoch ELSE keeper_lease.epoch + 1 END,
         acquired_at = CASE WHEN keeper_lease.holder = excluded.holder THEN keeper_lease.acquired_at ELSE excluded.acquired_at END,
         renewed_at = excluded.renewed_at,
         expires_at = excluded.expires_at
       WHERE keeper_lease.holder = excluded.holder OR keeper_lease.expires_at <= ${now}
       RETURNING *`,
      [name, holder, holderInfo, Math.trunc(durationMs)],
    );
    return row === undefined ? undefined : leaseFromRow(row);
  }

  /** The lease as it stands, with the database's clock. */
  view(name: string): LeaseView {
    const row = this.connection.get<LeaseRow & { now: number }>(
      `SELECT keeper_lease.*, ${this.connection.nowMsSql} AS now FROM keeper_lease WHERE name = ?`,
      [name],
    );
    if (row !== undefined) return { lease: leaseFromRow(row), now: Number(row.now) };
    const clock = this.connection.get<{ now: number }>(`SELECT ${this.connection.nowMsSql} AS now`);
    return { lease: undefined, now: Number(clock!.now) };
  }

  /** Ends the caller's lease now, so the next keeper need not wait for it to expire. */
  release(name: string, holder: string): boolean {
    return (
      this.connection.run(`UPDATE keeper_lease SET expires_at = ${this.connection.nowMsSql} WHERE name = ? AND holder = ?`, [
        name,
        holder,
      ]) > 0
    );
  }
}

function leaseFromRow(row: LeaseRow): LeaseRecord {
  return {
    name: row.name,
    holder: row.holder,
    holderInfo: row.holder_info,
    epoch: Number(row.epoch),
    acquiredAt: Number(row.acquired_at),
    renewedAt: Number(row.renewed_at),
    expiresAt: Number(row.expires_at),
  };
}

/** Whether `view`'s lease is held by a live holder right now (not expired by the database's clock). */
export function leaseIsLive(view: LeaseView): boolean {
  return view.lease !== undefined && view.lease.expiresAt > view.now;
}
