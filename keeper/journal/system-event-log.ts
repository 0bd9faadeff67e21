/** The `system_events` table: start-ups, shutdowns, mode and breaker changes, operator actions. */
import { JournalError } from "./errors";
import { SYSTEM_EVENT_KINDS, type SystemEventKind, type SystemEventRecord } from "./records";
import { systemEventFromRow, type SystemEventRow } from "./row-mapping";
import type { SqlConnection } from "./sql-connection";
import { toJson } from "./validation";

export interface SystemEventInput {
  readonly kind: SystemEventKind;
  readonly actor: string;
  readonly detail: string;
  readonly data?: unknown;
}

export class SystemEventLog {
  constructor(
    private readonly connection: SqlConnection,
    private readonly clock: () => number,
  ) {}

  record(event: SystemEventInput): SystemEventRecord {
    if (!(SYSTEM_EVENT_KINDS as readonly string[]).includes(event.kind)) {
      throw new JournalError(`unknown system event kind "${event.kind}"; expected one of ${SYSTEM_EVENT_KINDS.join(", ")}`);
    }
    const row = this.connection.get<SystemEventRow>(
      "INSERT INTO system_events (kind, actor, detail, data, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
      [event.kind, event.actor, event.detail, event.data === undefined ? null : toJson("system event data", event.data), this.clock()],
    );
    return systemEventFromRow(row!);
  }

  /** Events after `afterId` (exclusive), oldest first, optionally of some kinds only. */
  list(
    filter: { readonly kinds?: readonly SystemEventKind[]; readonly afterId?: number; readonly limit?: number } = {},
  ): SystemEventRecord[] {
    const records = this.connection
      .all<SystemEventRow>("SELECT * FROM system_events WHERE id > ? ORDER BY id", [filter.afterId ?? 0])
      .map(systemEventFromRow)
      .filter((event) => filter.kinds === undefined || filter.kinds.includes(event.kind));
    return filter.limit === undefined ? records : records.slice(0, filter.limit);
  }
}
