/**
 * The one way the keeper turns a caught value into text for a log line, a journal row or an error it
 * rethrows: an Error's message, anything else (a string, a rejected non-Error) as `String(value)`.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
