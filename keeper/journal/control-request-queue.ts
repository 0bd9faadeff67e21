/**
 * The `control_requests` table: commands operators' tasks (`keeper:resume`, `keeper:mode`,
 * `keeper:tier`, `emergency`'s halt) leave for the running keeper, which applies or rejects each once.
 */
import { JournalError } from "./errors";
import type { ControlRequestKind, ControlRequestPayloads, ControlRequestRecord } from "./records";
import { controlRequestFromRow, type ControlRequestRow } from "./row-mapping";
import type { SqlConnection } from "./sql-connection";
import type { SystemEventLog } from "./system-event-log";
import { toJson, validateControlPayload } from "./validation";

export class ControlRequestQueue {
  constructor(
    private readonly connection: SqlConnection,
    private readonly events: SystemEventLog,
    private readonly clock: () => number,
  ) {}

  /** Queues a command and records a `control_request` system event, in one transaction. */
  enqueue<K extends ControlRequestKind>(kind: K, payload: ControlRequestPayloads[K], requestedBy: string): ControlRequestRecord {
    validateControlPayload(kind, payload);
    if (requestedBy.trim() === "") throw new JournalError("control request: requestedBy must name who asked");
    const now = this.clock();
    const id = this.connection.transaction((): number => {
      const row = this.connection.get<{ id: number }>(
        "INSERT INTO control_requests (kind, payload, requested_by, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        [kind, toJson("control request payload", payload), requestedBy, now],
      );
      const requestId = row!.id;
      this.events.record({
        kind: "control_request",
        actor: requestedBy,
        detail: `${kind} requested (#${requestId})`,
        data: { requestId, kind, payload },
      });
      return requestId;
    });
    return this.get(id)!;
  }

  /** Requests not yet applied or rejected, oldest first. */
  pending(): ControlRequestRecord[] {
    return this.connection
      .all<ControlRequestRow>("SELECT * FROM control_requests WHERE applied_at IS NULL ORDER BY id")
      .map(controlRequestFromRow);
  }

  get(id: number): ControlRequestRecord | undefined {
    const row = this.connection.get<ControlRequestRow>("SELECT * FROM control_requests WHERE id = ?", [id]);
    return row === undefined ? undefined : controlRequestFromRow(row);
  }

  /** Marks a request `applied` or `rejected` once, with a `control_applied` system event. */
  complete(id: number, outcome: "applied" | "rejected", detail: string, actor = "keeper"): ControlRequestRecord {
    const now = this.clock();
    this.connection.transaction(() => {
      const request = this.get(id);
      if (request === undefined) throw new JournalError(`control request #${id} does not exist`);
      if (request.appliedAt !== null) {
        throw new JournalError(`control request #${id} was already ${request.outcome} at ${new Date(request.appliedAt).toISOString()}`);
      }
      this.connection.run("UPDATE control_requests SET applied_at = ?, outcome = ?, outcome_detail = ? WHERE id = ?", [
        now,
        outcome,
        detail,
        id,
      ]);
      this.events.record({
        kind: "control_applied",
        actor,
        detail: `${request.kind} #${id} ${outcome}: ${detail}`,
        data: { requestId: id, kind: request.kind, outcome },
      });
    });
    return this.get(id)!;
  }
}
