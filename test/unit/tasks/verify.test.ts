/**
 * verify: without an address it submits the executor Ignition recorded, with the constructor arguments from the
 * deployment's journal; with an address it is hardhat-verify's own verify.
 *
 * Test double: Etherscan's HTTP API. There is no network here, so a small local HTTP server answers the three
 * requests hardhat-verify makes (getsourcecode, verifysourcecode, checkverifystatus) and records them. It is
 * reached through hardhat-verify's own `customChains` mechanism (an explorer for chain 8453 at 127.0.0.1), so
 * everything from our task down to hardhat-verify's bytecode matching and argument encoding runs for real.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, getAddress } from "ethers";
import type { DeploymentVerification } from "../../../tasks/verify";
import { openTaskTest, captureTaskIo, scratchDir, type CapturedOutput, type DeployedExecutor } from "./helpers/deployed-executor";
import { rejection } from "./helpers/rejection";

interface ExplorerRequest {
  readonly action: string;
  readonly params: URLSearchParams;
}

/** Answers like Etherscan's v1 API: nothing is verified yet, every submission passes. */
async function startFakeExplorer(alreadyVerified: (address: string) => boolean) {
  const requests: ExplorerRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const params = new URLSearchParams(req.method === "POST" ? body : new URL(req.url ?? "/", "http://localhost").search);
      const action = params.get("action") ?? "";
      requests.push({ action, params });
      const reply = (json: unknown) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      if (action === "getsourcecode") {
        const verified = alreadyVerified(params.get("address") ?? "");
        reply(
          verified
            ? { status: "1", message: "OK", result: [{ SourceCode: "contract C {}" }] }
            : { status: "0", message: "NOTOK", result: "not verified" },
        );
      } else if (action === "verifysourcecode") {
        reply({ status: "1", message: "OK", result: "guid-1" });
      } else if (action === "checkverifystatus") {
        reply({ status: "1", message: "OK", result: "Pass - Verified" });
      } else {
        reply({ status: "0", message: "NOTOK", result: `unexpected action ${action}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { requests, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

type EtherscanConfig = { apiKey: string | Record<string, string>; customChains: unknown[] };

describe("tasks: verify", () => {
  let f: DeployedExecutor;
  let output: CapturedOutput;
  let restore: () => void = () => undefined;
  let etherscan: EtherscanConfig;
  let saved: EtherscanConfig;

  beforeEach(async () => {
    ({ f, output, restore } = await openTaskTest());
    etherscan = (hre.config as unknown as { etherscan: EtherscanConfig }).etherscan;
    saved = { apiKey: etherscan.apiKey, customChains: [...etherscan.customChains] };
  });
  afterEach(() => {
    restore();
    etherscan.apiKey = saved.apiKey;
    etherscan.customChains = saved.customChains;
  });

  function expectedConstructorArgs(): unknown[] {
    const p = f.parameters.ChimeraExecutorModule;
    return [
      getAddress(p.owner),
      getAddress(p.treasury),
      p.operators.map((a) => getAddress(a)),
      p.allowlist.map((a) => getAddress(a)),
      p.markets.map((m) => ({ host: getAddress(m.host), marketId: m.marketId })),
    ];
  }

  /** Points hardhat-verify at the fake explorer for chain 8453 (per-network key: hardhat-verify's v1 path keeps our URL). */
  function useExplorer(url: string): void {
    etherscan.apiKey = { hardhat: "test-key" };
    etherscan.customChains = [{ network: "hardhat", chainId: 8453, urls: { apiURL: `${url}/api`, browserURL: url } }];
  }

  it("--dry-run prints the deployment's address and the constructor arguments Ignition recorded", async () => {
    const result = (await hre.run("verify", { dryRun: true })) as DeploymentVerification;
    expect(result.address).to.equal(f.address);
    expect(result.contract).to.equal("contracts/ChimeraExecutor.sol:ChimeraExecutor");
    expect(result.constructorArguments).to.deep.equal(expectedConstructorArgs());
    expect(output.text()).to.include(f.address).and.to.include(getAddress(f.owner.address)).and.to.include("verify:verify was not called");
  });

  it("without an address, submits the Ignition executor with its recorded constructor arguments", async () => {
    const explorer = await startFakeExplorer(() => false);
    try {
      useExplorer(explorer.url);
      await hre.run("verify", {});
      const submission = explorer.requests.find((r) => r.action === "verifysourcecode");
      expect(submission, "a verifysourcecode request").to.not.equal(undefined);
      expect(getAddress(submission!.params.get("contractaddress")!)).to.equal(f.address);
      expect(submission!.params.get("contractname")).to.equal("contracts/ChimeraExecutor.sol:ChimeraExecutor");
      const encoded = AbiCoder.defaultAbiCoder().encode(
        ["address", "address", "address[]", "address[]", "tuple(address host, bytes32 marketId)[]"],
        expectedConstructorArgs(),
      );
      expect(submission!.params.get("constructorArguements")).to.equal(encoded.slice(2));
      expect(explorer.requests.map((r) => r.action)).to.include("checkverifystatus");
    } finally {
      await explorer.close();
    }
  });

  it("with an address, it is hardhat-verify's own verify (positional constructor arguments and all)", async () => {
    const explorer = await startFakeExplorer((address) => getAddress(address) === getAddress(f.address));
    try {
      useExplorer(explorer.url);
      restore();
      // An empty ignition folder: the deployment path would throw, so reaching the explorer proves the pass-through.
      restore = captureTaskIo({ ignitionDir: scratchDir("no-deployment"), reportsDir: f.reportsDir }).restore;
      await hre.run("verify", { address: f.address, constructorArgsParams: ["1"] });
      expect(explorer.requests.map((r) => [r.action, r.params.get("address")])).to.deep.equal([["getsourcecode", f.address]]);
    } finally {
      await explorer.close();
    }
  });

  it("without ETHERSCAN_API_KEY, names the variable and calls nothing", async () => {
    etherscan.apiKey = "";
    const message = await rejection(hre.run("verify", {}), /ETHERSCAN_API_KEY is not set/);
    expect(message).to.include("npx hardhat vars set ETHERSCAN_API_KEY");
  });

  it("without a deployment, says how to deploy or how to verify by address", async () => {
    restore();
    restore = captureTaskIo({ ignitionDir: scratchDir("no-deployment"), reportsDir: f.reportsDir }).restore;
    const message = await rejection(hre.run("verify", {}), /no executor deployment "chain-8453"/);
    expect(message).to.include("npx hardhat ignition deploy").and.to.include("npx hardhat verify --network hardhat <address>");
  });
});
