/**
 * The field types every part of the keeper's config is built from. Each failure (missing, wrong type,
 * out of range) reports one message saying what the field takes; load.ts adds the path and the value
 * found. Kept apart from schema.ts so plug-ins (keeper/markets/<protocol>/plugin.ts) can build their own config
 * sections from the same fields without importing the whole schema.
 */
import { z } from "zod";

/**
 * A number whose every failure (missing, not a number, out of range) reports the one `expected`
 * message, so a config error always says what the field takes; `constrain` adds the range rules.
 */
export function numberExpected(expected: string, constrain: (value: z.ZodNumber, message: string) => z.ZodNumber): z.ZodNumber {
  return constrain(z.number({ invalid_type_error: expected, required_error: expected }), expected);
}

export const positiveNumber = numberExpected("expected a positive number", (n, message) => n.finite(message).positive(message));
export const nonNegativeNumber = numberExpected("expected a number >= 0", (n, message) => n.finite(message).min(0, message));
export const positiveInteger = numberExpected("expected a positive integer", (n, message) => n.int(message).positive(message));
export const nonNegativeInteger = numberExpected("expected an integer >= 0", (n, message) => n.int(message).min(0, message));
export const shareOfOne = numberExpected("expected a number between 0 and 1", (n, message) => n.min(0, message).max(1, message));
export const basisPoints = numberExpected("expected an integer number of basis points (0-10000)", (n, message) =>
  n.int(message).min(0, message).max(10_000, message),
);
export const bool = z.boolean({ invalid_type_error: "expected true or false", required_error: "expected true or false" });
export const nonEmptyString = z
  .string({ invalid_type_error: "expected a non-empty string", required_error: "expected a non-empty string" })
  .trim()
  .min(1, "expected a non-empty string");
