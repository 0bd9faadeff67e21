import { expect } from "chai";
import { AbiCoder, concat } from "ethers";
import { ChimeraExecutor__factory, LiquidationLogic__factory } from "../../../../typechain-types";
import { decodeRevertData, decodeSimulationError, revertDataOf } from "../../../../keeper/execution/revert-decoder";

const executor = ChimeraExecutor__factory.createInterface();

describe("execution: revert decoding", () => {
  it("decodes the executor's custom errors with their arguments through the TypeChain interface", () => {
    const data = executor.encodeErrorResult("InsufficientProfit", [1_200n, 5_000n]);
    const decoded = decodeRevertData(data);
    expect(decoded.name).to.equal("InsufficientProfit");
    expect(decoded.args).to.deep.equal([1_200n, 5_000n]);
    expect(decoded.summary).to.equal("InsufficientProfit(1200, 5000)");

    // ethers decodes addresses checksummed.
    const target = "0x00000000000000000000000000000000000000AA";
    expect(decodeRevertData(executor.encodeErrorResult("TargetNotAllowed", [target])).summary).to.equal(`TargetNotAllowed(${target})`);
  });

  it("decodes Error(string) reverts (Aave's numeric codes) and Panic codes", () => {
    const errorString = concat(["0x08c379a0", AbiCoder.defaultAbiCoder().encode(["string"], ["45"])]);
    expect(decodeRevertData(errorString)).to.include({ name: "Error", summary: 'Error("45")' });
    const panic = concat(["0x4e487b71", AbiCoder.defaultAbiCoder().encode(["uint256"], [0x11])]);
    expect(decodeRevertData(panic)).to.include({ name: "Panic", summary: "Panic(0x11)" });
  });

  it("names a protocol's custom error from the interfaces its market declares, after the executor's own", () => {
    const liquidation = LiquidationLogic__factory.createInterface();
    const refused = liquidation.encodeErrorResult("HealthFactorNotBelowThreshold", []);
    expect(decodeRevertData(refused).name, "without the market's interfaces").to.equal("unknown");
    expect(decodeRevertData(refused, [liquidation])).to.include({
      name: "HealthFactorNotBelowThreshold",
      summary: "HealthFactorNotBelowThreshold()",
    });
    expect(decodeSimulationError({ error: { data: refused } }, [liquidation])).to.include({ name: "HealthFactorNotBelowThreshold" });
    // The executor's errors still win: a protocol interface cannot rename them.
    const paused = executor.encodeErrorResult("EnforcedPause", []);
    expect(decodeRevertData(paused, [liquidation]).name).to.equal("EnforcedPause");
  });

  it("names a selector the executor does not declare as unknown rather than guessing", () => {
    const decoded = decodeRevertData("0xdeadbeef" + "00".repeat(32));
    expect(decoded.name).to.equal("unknown");
    expect(decoded.summary).to.contain("0xdeadbeef");
  });

  it("finds revert data wherever a provider layer nested it", () => {
    const data = executor.encodeErrorResult("EnforcedPause", []);
    expect(revertDataOf({ data })).to.equal(data);
    expect(revertDataOf({ error: { data } })).to.equal(data);
    expect(revertDataOf({ info: { error: { data: { data } } } })).to.equal(data);
    expect(revertDataOf(new Error("no data here"))).to.equal(undefined);
  });

  it("tells an RPC failure (not a verdict on the plan) from a revert without data", () => {
    expect(decodeSimulationError(new Error("request timed out after 2000 ms")).kind).to.equal("transport");
    const bare = decodeSimulationError(new Error("execution reverted"));
    expect(bare.kind).to.equal("revert");
  });
});
