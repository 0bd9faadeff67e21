/**
 * The journal's two key-value tables: `checkpoints` (where discovery scans got to) and `risk_state`
 * (the risk gate's and circuit breaker's JSON snapshots), each row replaced whole in one statement.
 */
import type { RiskStateRecord } from "./records";
import type { KeyValueRow } from "./row-mapping";
import type { SqlConnection } from "./sql-connection";
import { toJson } from "./validation";

export class StateStore {
  /**
   * The JSON each risk-state key holds, as this process last wrote or read it. The keeper saves its risk snapshots after
   * every block in which anything was recorded, and most such saves repeat one of the two unchanged (the breaker's,
   * when only the gate's totals moved): those are not written again. Only the leading keeper writes them, and a keeper
   * taking the lead reads them first (RiskBookkeeper.reload), so what is remembered here is what the row holds.
   */
  readonly #riskStateHeld = new Map<string, string>();

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
    const json = toJson(`risk state "${key}"`, value);
    if (this.#riskStateHeld.get(key) === json) return;
    this.#upsert("risk_state", key, json);
    this.#riskStateHeld.set(key, json);
  }

  loadRiskState<T = unknown>(key: string): RiskStateRecord<T> | undefined {
    const row = this.connection.get<KeyValueRow>("SELECT * FROM risk_state WHERE key = ?", [key]);
    if (row === undefined) {
      this.#riskStateHeld.delete(key);
      return undefined;
    }
    this.#riskStateHeld.set(key, row.value);
    return { key: row.key, value: JSON.parse(row.value) as T, updatedAt: row.updated_at };
  }

  /** A transaction that wrote risk state was rolled back: what the rows hold is no longer known here. */
  forgetHeldRiskState(): void {
    this.#riskStateHeld.clear();
  }

  #upsert(table: "checkpoints" | "risk_state", key: string, value: string): void {
    this.connection.run(
      `INSERT INTO ${table} (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, this.clock()],
    );
  }
}
