/**
 * The plan probe: the embedded runtime code is exactly what its source compiles to, and on the
 * sandbox's genuine protocols the one-call probe and the revert probe agree on the plan's profit,
 * reject the same failing plan with the same decoded reason, and the probe's gas limit is enough.
 *
 * Regenerate the embedded code after editing probe/ChimeraPlanProbe.sol: UPDATE_PLAN_PROBE=1 npx hardhat test <this file>.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { ChimeraExecutor__factory } from "../../../../typechain-types";
import { buildSandbox } from "../../../../sandbox";
import { openAaveBorrowers } from "../../../../sandbox/borrowers";
import type { Address } from "../../../../keeper/config/address-book";
import type { LiquidationPlan } from "../../../../keeper/core/types";
import { loadKeeperConfig } from "../../../../keeper/config/load";
import { PlanSimulator, type SimulationProvider } from "../../../../keeper/execution/plan-simulator";
import { PLAN_PROBE_ABI, PLAN_PROBE_COMPILER, PLAN_PROBE_RUNTIME_CODE } from "../../../../keeper/execution/probe/plan-probe-code";
import { SandboxMarketHandle } from "../../../../keeper/scenarios/sandbox-market-handle";
import { deployKeeperExecutor, openSandboxKeeperSession, openScratchRun, type ScratchRun } from "../../../shared/keeper-harness";

const PROBE_SOURCE = path.join(hre.config.paths.root, "keeper", "execution", "probe", "ChimeraPlanProbe.sol");
const PROBE_MODULE = path.join(hre.config.paths.root, "keeper", "execution", "probe", "plan-probe-code.ts");

function compileProbe(): { version: string; code: string; abi: unknown[] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string; compile(input: string): string };
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "ChimeraPlanProbe.sol": { content: fs.readFileSync(PROBE_SOURCE, "utf8") } },
        settings: { ...PLAN_PROBE_COMPILER.settings, outputSelection: { "*": { "*": ["abi", "evm.deployedBytecode.object"] } } },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { deployedBytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const probe = output.contracts["ChimeraPlanProbe.sol"]!.ChimeraPlanProbe!;
  return { version: solc.version(), code: `0x${probe.evm.deployedBytecode.object}`, abi: probe.abi };
}

function renderModule(version: string, code: string, abi: unknown[]): string {
  const lines = code
    .slice(2)
    .match(/.{1,96}/g)!
    .map((line) => `  "${line}"`)
    .join(" +\n");
  return `/**
 * GENERATED from probe/ChimeraPlanProbe.sol by test/unit/keeper/execution/plan-probe.test.ts (run it with
 * UPDATE_PLAN_PROBE=1 after editing the source); that test recompiles the source and fails when this
 * copy differs. The runtime code is embedded so the keeper needs no compiler and no deployment: it is
 * only ever placed at the operator's address by an eth_call state override (plan-simulator.ts), which
 * encodes its call with the ABI the compiler gave for it (PLAN_PROBE_ABI).
 */
export const PLAN_PROBE_COMPILER = {
  version: "${version}",
  settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun", metadata: { bytecodeHash: "none" } },
} as const;

export const PLAN_PROBE_RUNTIME_CODE =
  "0x" +
${lines};

export const PLAN_PROBE_ABI = ${JSON.stringify(abi)} as const;
`;
}

describe("execution: the plan probe", function () {
  this.timeout(300_000);

  it("embeds exactly the runtime code and ABI its source compiles to", async () => {
    const compiled = compileProbe();
    if (process.env.UPDATE_PLAN_PROBE === "1") {
      // Written as `npm run lint` wants it (the ABI is compared by value below, not by text).
      const prettier = await import("prettier");
      const source = renderModule(compiled.version, compiled.code, compiled.abi);
      const options = (await prettier.resolveConfig(PROBE_MODULE)) ?? {};
      fs.writeFileSync(PROBE_MODULE, await prettier.format(source, { ...options, filepath: PROBE_MODULE }));
    }
    expect(PLAN_PROBE_COMPILER.version).to.equal(compiled.version);
    expect(PLAN_PROBE_RUNTIME_CODE, "stale: rerun with UPDATE_PLAN_PROBE=1").to.equal(compiled.code);
    expect(PLAN_PROBE_ABI, "stale ABI: rerun with UPDATE_PLAN_PROBE=1").to.deep.equal(compiled.abi);
  });

  describe("on the sandbox", () => {
    let scratch: ScratchRun;

    before(async () => {
      scratch = await openScratchRun(hre, "chimera-probe-");
    });

    after(() => scratch.close());

    it("agrees with the revert probe on profit and failure, and its gas limit carries the real transaction", async () => {
      const sandbox = await buildSandbox(hre);
      const { operator, executor } = await deployKeeperExecutor(hre, sandbox);
      await openAaveBorrowers(hre, sandbox, {
        count: 1,
        seed: 81,
        collateral: "WETH",
        debt: "USDC",
        healthFactor: { min: 1.02, max: 1.02 },
        debtUsd: { min: 20_000, max: 20_000 },
      });
      const handle = new SandboxMarketHandle(hre, sandbox);
      await handle.prepare();
      // A DRY keeper plans the liquidation; the test keeps the plan and simulates it both ways.
      let plan: LiquidationPlan | null = null;
      const session = await openSandboxKeeperSession(
        hre,
        { sandbox, executor, operator, journalPath: scratch.journalPath },
        {
          config: { ...loadKeeperConfig({ network: "hardhat", env: {} }), mode: "DRY" },
          knownSecrets: [],
          hooks: { beforeSimulate: (planned) => void (plan = planned) },
        },
      );
      try {
        await session.engine.start();
        await handle.movePrices([{ symbol: "WETH", usd: (await handle.priceOf("WETH")) * 0.97 }]);
        await session.engine.tick();
        expect(plan, "the keeper planned the liquidation").to.not.equal(null);
        const head = await hre.ethers.provider.getBlockNumber();
        const provider = hre.ethers.provider as unknown as SimulationProvider;
        const common = { provider, executor, operator: operator.address as Address, minProfitHaircutBps: 500 };
        const viaProbe = await new PlanSimulator({ ...common, method: "probe" }).simulate(plan!, head);
        const viaRevert = await new PlanSimulator({ ...common, method: "revert" }).simulate(plan!, head);
        if (!viaProbe.ok || !viaRevert.ok)
          throw new Error(
            `simulation failed: ${JSON.stringify([viaProbe, viaRevert], (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`,
          );
        expect(viaProbe.simulatedProfit).to.equal(viaRevert.simulatedProfit);
        expect(viaProbe.minProfit).to.equal(viaRevert.minProfit);
        expect(viaProbe.gasEstimate, "measured gas of a flash-loan liquidation with a swap").to.be.within(300_000n, 1_500_000n);

        // The probe's gas limit carries the real, signed transaction.
        await hre.network.provider.send("evm_setAutomine", [true]);
        const executorAsOperator = ChimeraExecutor__factory.connect(executor, await hre.ethers.getSigner(operator.address));
        const receipt = await (await executorAsOperator.liquidate(viaProbe.planStruct, { gasLimit: viaProbe.gasLimit })).wait();
        expect(receipt!.status).to.equal(1);
        expect(receipt!.gasUsed < viaProbe.gasLimit).to.equal(true);
        await hre.network.provider.send("evm_setAutomine", [false]);

        // Now the position is liquidated: both methods refuse the same plan with the same decoded reason, which the
        // Aave market's own error list (as the assembled keeper passes it) names: v3.6 reverts with a custom error.
        const protocolErrors = session.assembled.markets.flatMap((market) => market.revertErrors ?? []);
        const probeAgain = await new PlanSimulator({ ...common, method: "probe", protocolErrors }).simulate(plan!, head + 1);
        const revertAgain = await new PlanSimulator({ ...common, method: "revert", protocolErrors }).simulate(plan!, head + 1);
        if (probeAgain.ok || revertAgain.ok) throw new Error("a liquidated position's plan simulated successfully");
        expect(probeAgain.failure.summary).to.equal(revertAgain.failure.summary);
        expect(probeAgain.failure.summary).to.equal("HealthFactorNotBelowThreshold()");
        // Without the market's list the same refusal is only a selector.
        const bare = await new PlanSimulator({ ...common, method: "probe" }).simulate(plan!, head + 1);
        expect(bare.ok ? "ok" : bare.failure.summary).to.match(/^unknown error 0x930bb771/);
      } finally {
        await session.close("test finished");
        await handle.release();
      }
    });
  });
});
