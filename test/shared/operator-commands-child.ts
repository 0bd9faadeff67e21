/**
 * Runs operator commands in ONE separate process, as the CLI would, for tests that search everything a
 * command prints: `node -r ts-node/register/transpile-only test/shared/operator-commands-child.ts` with
 * HARDHAT_NETWORK=<network> and CHIMERA_COMMANDS=<JSON list of steps>. Loading Hardhat once for many
 * commands keeps such tests affordable (each Hardhat start costs seconds).
 *
 * Each step is { task, scope?, args, env? }: `env` sets (string) or removes (null) environment variables
 * for that step only. A failing step is printed the way Hardhat's CLI prints an error on a machine without
 * a display (message, then the whole error with its cause and stacks) to stderr, and the process goes on.
 * Each step ends with one line on stdout: `CHIMERA_STEP <index> {"ok":…,"message":…}`.
 *
 * mocha loads every file under test/: this one does nothing unless it is the process's main module.
 */
import util from "node:util";

export interface OperatorCommandStep {
  readonly task: string;
  readonly scope?: string;
  readonly args: Record<string, unknown>;
  readonly env?: Record<string, string | null>;
}

export const STEP_MARKER = "CHIMERA_STEP";

async function main(): Promise<void> {
  const steps = JSON.parse(process.env.CHIMERA_COMMANDS ?? "[]") as OperatorCommandStep[];
  const { default: hre } = await import("hardhat");
  for (const [index, step] of steps.entries()) {
    const saved = new Map<string, string | undefined>();
    for (const [name, value] of Object.entries(step.env ?? {})) {
      saved.set(name, process.env[name]);
      if (value === null) delete process.env[name];
      else process.env[name] = value;
    }
    let outcome: { ok: boolean; message: string };
    try {
      await hre.run(step.scope === undefined ? step.task : { scope: step.scope, task: step.task }, step.args);
      outcome = { ok: true, message: "" };
    } catch (error) {
      const message = (error as Error).message;
      console.error(`Error: ${message}`);
      console.error(util.inspect(error, { depth: 6 }));
      outcome = { ok: false, message };
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    console.log(`${STEP_MARKER} ${index} ${JSON.stringify(outcome)}`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
