/** Checks the journal applies to what it is given, so nothing malformed reaches a row. */
import { errorMessage } from "../core/error-message";
import { JournalError } from "./errors";
import type { ControlRequestKind } from "./records";

export function finite(field: string, value: number): number {
  if (!Number.isFinite(value)) throw new JournalError(`${field} must be a finite number, got ${value}`);
  return value;
}

export function checkNonce(nonce: number): void {
  if (!Number.isSafeInteger(nonce) || nonce < 0) throw new JournalError(`nonce must be a non-negative integer, got ${nonce}`);
}

export function toJson(what: string, value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) throw new Error("value is not JSON-serialisable");
    return text;
  } catch (error) {
    throw new JournalError(`${what} must be JSON-serialisable (convert bigints to strings first): ${errorMessage(error)}`);
  }
}

/** Checks a control payload before it reaches the queue, so a running keeper never reads a malformed one. */
export function validateControlPayload(kind: ControlRequestKind, payload: unknown): void {
  const p = payload as Record<string, unknown> | null;
  const fail = (expected: string): never => {
    throw new JournalError(`control request "${kind}": ${expected}, got ${JSON.stringify(payload)}`);
  };
  if (p === null || typeof p !== "object") fail("payload must be an object");
  switch (kind) {
    case "resume":
    case "halt":
      if (typeof p!.reason !== "string" || p!.reason.trim() === "") fail("payload.reason must be a non-empty string");
      return;
    case "mode":
      if (p!.mode !== "DRY" && p!.mode !== "LIVE") fail('payload.mode must be "DRY" or "LIVE"');
      return;
    case "tier":
      if (p!.tier !== 1 && p!.tier !== 2 && p!.tier !== 3) fail("payload.tier must be 1, 2 or 3");
      return;
    default:
      fail('kind must be one of "resume", "mode", "tier", "halt"');
  }
}
