/**
 * A target the reaction bench missed names the stage its time went to (bench/reaction-missed.ts). A decision-latency
 * target is judged on its own stages only: decisionMs ends at the signature, and the send after it was named as the
 * stage a missed first-plan p99 lost its time to (48-58 ms "send" when the plans themselves took 20-30 ms to sign).
 */
import { expect } from "chai";
import { AFTER_SIGNING, slowestStage } from "../../../bench/reaction-missed";

describe("bench: the stage a missed reaction target lost its time to", () => {
  const executions = [{ decisionStages: { journal: 2, sign: 12, send: 50 } }, { decisionStages: { journal: 3, sign: 18, send: 40 } }];

  it("names the stage with the largest p99 over the executions judged", () => {
    expect(slowestStage(executions)).to.deep.equal({ slowestStage: "send", slowestStageP99Ms: 50 });
  });

  it("leaves out the stages after the signature for a target on decision latency", () => {
    expect(slowestStage(executions, AFTER_SIGNING)).to.deep.equal({ slowestStage: "sign", slowestStageP99Ms: 18 });
  });
});
