/**
 * How a Chimera task fails: one readable line, "Error in plugin <name>: …", with every secret setting
 * scrubbed from it. Hardhat prints the whole error, its cause and their stacks on any Linux machine
 * without a display (it takes that for CI), so the cause is replaced by a copy whose message and stack
 * went through the same redaction: a library that quotes a bad value back (ethers does) cannot carry a
 * key or an RPC URL's credentials to the terminal that way.
 */
import { HardhatPluginError } from "hardhat/plugins";
import { knownSecretValues } from "../../keeper/config/key-settings";
import { redactSecrets } from "../../keeper/telemetry/redact";
import { envOrVar } from "./config-vars";

/** Redacts text with every secret setting that is set (environment or Hardhat vars), and the usual patterns. */
export function scrubSecrets(text: string, extraSecrets: readonly string[] = []): string {
  return redactSecrets(text, { knownSecrets: [...knownSecretValues(envOrVar), ...extraSecrets] });
}

/**
 * An error a task builds itself to fail with a result attached (report --reconcile's differences, say):
 * its data comes from the journal and the chain, never from a setting, so it stays the cause as it is
 * (callers can still `instanceof` it and read its fields); only its message and stack are scrubbed.
 */
export class TaskOutcomeError extends Error {}

/** `error` as a HardhatPluginError of `plugin`, with no secret in its message, its cause or their stacks. */
export function secretFreeTaskError(plugin: string, error: unknown, extraSecrets: readonly string[] = []): HardhatPluginError | unknown {
  if (!(error instanceof Error)) return error;
  const scrub = (text: string) => scrubSecrets(text, extraSecrets);
  const scrubbedCopy = (original: Error): Error => {
    if (original instanceof TaskOutcomeError) {
      original.message = scrub(original.message);
      if (original.stack !== undefined) original.stack = scrub(original.stack);
      return original;
    }
    const copy = new Error(scrub(original.message));
    copy.name = original.name;
    copy.stack = original.stack === undefined ? undefined : scrub(original.stack);
    return copy;
  };
  if (error instanceof HardhatPluginError) {
    const parent = error.parent instanceof Error ? scrubbedCopy(error.parent) : undefined;
    return new HardhatPluginError(error.pluginName, scrub(error.message), parent);
  }
  return new HardhatPluginError(plugin, scrub(error.message), scrubbedCopy(error));
}
