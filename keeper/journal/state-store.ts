/**
 * The journal's two key-value tables: `checkpoints` (where discovery scans got to) and `risk_state`
 * (the risk gate's and circuit breaker's JSON snapshots), each row replaced whole in one statement.
 */
import type { RiskStateRecord } from "./records";
import type { KeyValueRow } from "./row-mapping";
import type { SqlConnection } from "./sql-connection";
import { toJson } from "./validation";

export class StateStore {
  constructor(
    private readonly connection: SqlConnection,
    private readonly clock: () => number,
  ) {}

  getCheckpoint(key: string): string | undefined {
    return this.connection.get<KeyValueRow>("SELECT * FROM checkpoints WHERE key = ?", [key])?.value;
  }

  /** Checkpoint keys starting with `prefix`, in key order. */
  checkpointKeys(prefix: string): string[] {
    return this.connection
      .all<{ key: string }>("SELECT key FROM checkpoints ORDER BY key")
      .map((row) => row.key)
      .filter((key) => key.startsWith(prefix));
  }

  setCheckpoint(key: string, value: string): void {
    this.#upsert("checkpoints", key, value);
  }

  /** Persists an opaque JSON snapshot (breaker state, daily counters) under `key`. */
  saveRiskState(key: string, value: unknown): void {
    this.#upsert("risk_state", key, toJson(`risk state "${key}"`, value));
  }

  loadRiskState<T = unknown>(key: string): RiskStateRecord<T> | undefined {
    const row = this.connection.get<KeyValueRow>("SELECT * FROM risk_state WHERE key = ?", [key]);
    return row === undefined ? undefined : { key: row.key, value: JSON.parse(row.value) as T, updatedAt: row.updated_at };
  }

  #upsert(table: "checkpoints" | "risk_state", key: string, value: string): void {
    this.connection.run(
      `INSERT INTO ${table} (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, this.clock()],
    );
  }
}
