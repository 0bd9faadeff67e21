/**
 * A key that cannot liquidate never runs quietly: on the sandbox, with the executor deployed by its Ignition
 * module, a keeper session whose key is not an operator refuses LIVE (and alerts), runs DRY with /readyz not
 * ready and the reason; a rotation that removes the running key, or a pause, turns /readyz not ready and
 * alerts at the next block, and restoring the role clears it. Alerts go over real HTTP to a recording server
 * (test/unit/keeper/alerts/recording-server.ts) standing in for the webhook.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import type { Interface, Wallet } from "ethers";
import { buildSandbox, type Sandbox } from "../../../../sandbox";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import type { KeeperMode } from "../../../../keeper/core/types";
import { hardhatAccountWallet } from "../../../../keeper/run/hardhat-accounts";
import { ExecutorRoleError, type KeeperSession } from "../../../../keeper/run/keeper-session";
import { executorRoleProblems, NotAChimeraExecutorError, readExecutorRoles } from "../../../../keeper/run/executor-roles";
import { ExecutorRoleWatch, ROLE_CHANGE_EVENTS, type RoleEventReader } from "../../../../keeper/run/executor-role-watch";
import { createLogger } from "../../../../keeper/telemetry/logger";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import {
  deployKeeperExecutor,
  openSandboxKeeperSession,
  openScratchRun,
  type SandboxKeeperRoles,
  type ScratchRun,
} from "../../../shared/keeper-harness";
import { startRecordingServer, type RecordingServer } from "../alerts/recording-server";

const executorInterface = ChimeraExecutor__factory.createInterface();

describe("executor roles: the keeper's key checked against the executor", function () {
  this.timeout(300_000);
  let scratch: ScratchRun;
  let sandbox: Sandbox;
  let roles: SandboxKeeperRoles;
  let alerts: RecordingServer;
  let runs = 0;

  before(async () => {
    scratch = await openScratchRun(hre, "chimera-roles-");
    sandbox = await buildSandbox(hre);
    roles = await deployKeeperExecutor(hre, sandbox);
    alerts = await startRecordingServer();
  });

  after(async () => {
    await alerts?.close();
    await scratch?.close();
  });

  function open(key: Wallet, mode: KeeperMode, printed: string[] = []): Promise<KeeperSession> {
    runs += 1;
    const file = path.join(scratch.directory, `keeper-${runs}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        mode,
        alerts: { targets: [{ kind: "json", urlEnv: "ROLE_TEST_ALERT_URL", minSeverity: "info" }], rateLimitPerMinute: 60 },
      }),
    );
    const env: Record<string, string> = { ROLE_TEST_ALERT_URL: alerts.url };
    return openSandboxKeeperSession(
      hre,
      { sandbox, executor: roles.executor, operator: key, journalPath: path.join(scratch.directory, `journal-${runs}.sqlite`) },
      {
        config: loadKeeperConfig({ network: "hardhat", file, env }),
        setting: (name) => env[name],
        roleCheck: { executorInterface, signer: key.address, refuseLive: true, print: (line) => printed.push(line) },
      },
    );
  }

  const readyz = async (session: KeeperSession) => {
    const response = await fetch(`${session.server.url}/readyz`);
    return {
      status: response.status,
      body: (await response.json()) as { failing: string[]; checks: { name: string; ok: boolean; detail: string }[] },
    };
  };
  const alertsSince = (count: number) =>
    alerts.requests.slice(count).map((request) => JSON.parse(request.body) as { severity: string; detail: string });
  const rolesCheck = (body: { checks: { name: string; ok: boolean; detail: string }[] }) =>
    body.checks.find((c) => c.name === "executor_roles")!;

  it("LIVE with a key that is not an operator refuses to start, naming key and executor, and alerts", async () => {
    const stranger = hardhatAccountWallet(hre, 5);
    const before = alerts.requests.length;
    let error: unknown;
    try {
      const session = await open(stranger, "LIVE");
      await session.close("unexpected");
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ExecutorRoleError);
    expect((error as Error).message)
      .to.contain(`${stranger.address} is not an operator of executor ${roles.executor}`)
      .and.contain("--dry-run");
    const sent = alertsSince(before);
    expect(sent.map((a) => a.severity)).to.deep.equal(["critical"]);
    expect(sent[0]!.detail).to.contain(stranger.address);
  });

  it("DRY with such a key starts, says so, and /readyz is not ready with the reason", async () => {
    const printed: string[] = [];
    const session = await open(hardhatAccountWallet(hre, 5), "DRY", printed);
    try {
      expect(printed.join("\n")).to.contain("WARNING (start-up)").and.contain("is not an operator");
      const { status, body } = await readyz(session);
      expect(status).to.equal(503);
      expect(body.failing).to.include("executor_roles");
      expect(rolesCheck(body).detail).to.contain("CallerNotOperator");
    } finally {
      await session.close("test finished");
    }
  });

  it("a rotation that removes the running key, or a pause, makes /readyz not ready and alerts at the next block; restoring clears it", async () => {
    const owner = roles.signers[1]!;
    const executor = ChimeraExecutor__factory.connect(roles.executor, owner);
    const session = await open(roles.operator, "LIVE");
    try {
      await session.engine.start();
      expect((await readyz(session)).status).to.equal(200);

      const before = alerts.requests.length;
      await (await executor.setOperator(roles.operator.address, false)).wait();
      await session.engine.tick();
      await session.roleWatch!.settled();
      const removed = await readyz(session);
      expect(removed.status).to.equal(503);
      expect(rolesCheck(removed.body).detail).to.contain(`${roles.operator.address} is not an operator`);
      expect(alertsSince(before).map((a) => a.severity)).to.deep.equal(["critical"]);
      expect(alertsSince(before)[0]!.detail).to.contain("OperatorSet at block");

      await (await executor.setOperator(roles.operator.address, true)).wait();
      await session.engine.tick();
      await session.roleWatch!.settled();
      expect((await readyz(session)).status).to.equal(200);
      expect(alertsSince(before).map((a) => a.severity)).to.deep.equal(["critical", "info"]);

      await (await executor.pause()).wait();
      await session.engine.tick();
      await session.roleWatch!.settled();
      const paused = await readyz(session);
      expect(rolesCheck(paused.body).ok).to.equal(false);
      expect(rolesCheck(paused.body).detail).to.contain("is paused");
      await (await executor.unpause()).wait();
      await session.engine.tick();
      await session.roleWatch!.settled();
      expect(rolesCheck((await readyz(session)).body).ok).to.equal(true);
    } finally {
      await session.close("test finished");
    }
  });

  it("a new treasury set to the running key is caught at the next block by its TreasurySet event; every watched event is one the executor emits", async () => {
    // A name the executor's ABI lacks would silently drop out of the log filter: each must resolve.
    const abi: Interface = executorInterface; // looked up by plain name, as the watch does
    for (const name of ROLE_CHANGE_EVENTS) expect(abi.getEvent(name), name).to.not.equal(null);
    const owner = roles.signers[1]!;
    const executor = ChimeraExecutor__factory.connect(roles.executor, owner);
    const treasury = await executor.treasury();
    const session = await open(roles.operator, "LIVE");
    try {
      await session.engine.start();
      const before = alerts.requests.length;
      await (await executor.setTreasury(roles.operator.address)).wait();
      await session.engine.tick();
      await session.roleWatch!.settled();
      const moved = await readyz(session);
      expect(moved.status).to.equal(503);
      expect(rolesCheck(moved.body).detail).to.contain("treasury is the signing key");
      expect(alertsSince(before)[0]!.detail).to.contain("TreasurySet at block");
      await (await executor.setTreasury(treasury)).wait();
      await session.engine.tick();
      await session.roleWatch!.settled();
      expect((await readyz(session)).status).to.equal(200);
    } finally {
      await session.close("test finished");
    }
  });

  it("when a block range's role events cannot be read, the roles themselves are read again: a removal is not missed", async () => {
    const owner = roles.signers[1]!;
    const executor = ChimeraExecutor__factory.connect(roles.executor, owner);
    const provider = hre.ethers.provider;
    // An endpoint that refuses eth_getLogs (a range limit, an outage of the logs index) but answers eth_call.
    const reader: RoleEventReader = {
      call: (tx) => provider.call(tx),
      getLogs: () => Promise.reject(new Error("eth_getLogs: block range too large")),
    };
    const watch = new ExecutorRoleWatch({
      reader,
      executorInterface,
      executor: roles.executor,
      signer: roles.operator.address,
      logger: createLogger({ level: "silent" }),
      alerts: null,
    });
    expect(await watch.check("start-up")).to.deep.equal([]);
    await (await executor.setOperator(roles.operator.address, false)).wait();
    try {
      const head = await provider.getBlockNumber();
      await watch.onBlocks({ fromBlock: head, toBlock: head });
      expect(watch.readiness().ok).to.equal(false);
      expect(watch.readiness().detail).to.contain(`${roles.operator.address} is not an operator`);
    } finally {
      await (await executor.setOperator(roles.operator.address, true)).wait();
    }
  });

  it("an address that is not a ChimeraExecutor (a token, an account) is named as such; owner or treasury equal to the key are problems", async () => {
    for (const address of [sandbox.book.weth, sandbox.book.aaveV3!.pool, roles.signers[7]!.address]) {
      let error: unknown;
      try {
        await readExecutorRoles(hre.ethers.provider, executorInterface, address, null);
      } catch (caught) {
        error = caught;
      }
      expect(error, address).to.be.instanceOf(NotAChimeraExecutorError);
      expect((error as Error).message).to.contain("is not a ChimeraExecutor");
    }
    const real = await readExecutorRoles(hre.ethers.provider, executorInterface, roles.executor, roles.operator.address);
    expect(executorRoleProblems(real, roles.executor, roles.operator.address)).to.deep.equal([]);
    expect(executorRoleProblems({ ...real, owner: roles.operator.address }, roles.executor, roles.operator.address)[0]).to.contain(
      "is the executor's owner",
    );
    expect(executorRoleProblems({ ...real, treasury: roles.operator.address }, roles.executor, roles.operator.address)[0]).to.contain(
      "treasury is the signing key",
    );
  });
});
