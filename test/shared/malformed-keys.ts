/**
 * fast-check generators for private keys an operator could mistype, and the check that none of a key's
 * material reached a text. Shared by the in-process tests of the key parser and the child-process tests
 * that search every output of the real keeper and tasks.
 */
import fc from "fast-check";

const hexDigit = fc.constantFrom(..."0123456789abcdefABCDEF".split(""));
const hexRun = (min: number, max: number) => fc.array(hexDigit, { minLength: min, maxLength: max }).map((digits) => digits.join(""));
const prefix = fc.constantFrom("0x", "0X", "");

/** Keys with one defect each: every one of these must be refused, and never echoed. */
export const malformedKey: fc.Arbitrary<string> = fc.oneof(
  // wrong length (too short or too long), with or without the prefix
  fc.tuple(prefix, fc.oneof(hexRun(12, 63), hexRun(65, 80))).map(([p, body]) => p + body),
  // a `g` (or another non-hex letter) as the last digit: the typo the issue saw
  fc.tuple(prefix, hexRun(63, 63), fc.constantFrom("g", "G", "z", "x")).map(([p, body, bad]) => p + body + bad),
  // a non-hex character somewhere inside
  fc
    .tuple(prefix, hexRun(64, 64), fc.integer({ min: 1, max: 62 }), fc.constantFrom("g", "_", "-", ".", "é"))
    .map(([p, body, at, bad]) => p + body.slice(0, at) + bad + body.slice(at + 1)),
  // whitespace inside
  fc
    .tuple(prefix, hexRun(64, 64), fc.integer({ min: 8, max: 56 }), fc.constantFrom(" ", "\t", "  "))
    .map(([p, body, at, space]) => p + body.slice(0, at) + space + body.slice(at)),
  // wrapped in quotes, as a .env line copied into a systemd unit keeps them
  fc.tuple(fc.constantFrom('"', "'", "`"), prefix, hexRun(64, 64)).map(([quote, p, body]) => `${quote}${p}${body}${quote}`),
);

/**
 * The runs of a key's hex digits long enough to identify it (12 digits: one in 2^48 by chance), plus
 * the whole value. A text that holds any of them leaked (part of) the key.
 */
export function keyMaterial(key: string): string[] {
  const digits = key.replace(/^["'`]|["'`]$/g, "").replace(/^0x/i, "");
  const runs = digits.split(/[^0-9a-fA-F]+/).filter((run) => run.length >= 12);
  const windows = new Set<string>([key.trim()]);
  for (const run of runs) for (let i = 0; i + 12 <= run.length; i++) windows.add(run.slice(i, i + 12).toLowerCase());
  return [...windows];
}

/** The first piece of `key` found in `text` (case-insensitive), or undefined. */
export function leakedPiece(text: string, key: string): string | undefined {
  const haystack = text.toLowerCase();
  return keyMaterial(key).find((piece) => haystack.includes(piece.toLowerCase()));
}
