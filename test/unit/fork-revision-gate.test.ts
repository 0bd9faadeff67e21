/**
 * The Aave fork suites' revision gate (test/fork/lib/aave-revision-gate.ts), exercised offline: the decision for
 * matching and differing revisions, and the `before`-hook helper against the sandbox's genuine pools (v3.6 reports
 * 10, v3.0.2 reports 1), which must let a suite run when the revision matches and skip it, printing why, when not.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { decideOnAaveRevision, skipUnlessAaveRevision } from "../fork/lib/aave-revision-gate";
import { BASE_AAVE_POOL_REVISION } from "../fork/pinned-block";
import { sandboxScenarioFixture } from "../shared/liquidation-scenarios/sandbox-environment";

const POOL = "0xA238Dd80C259a72e81d7e4664a9801593F98d1c5";

/** A stand-in for mocha's context that records whether the hook asked to skip. */
function recordingContext(): { context: Mocha.Context; skipped: () => boolean } {
  let skipped = false;
  const context = {
    skip: () => {
      skipped = true;
    },
  } as unknown as Mocha.Context;
  return { context, skipped: () => skipped };
}

describe("fork suites' Aave pool revision gate", function () {
  it("runs on the expected revision and skips on any other, naming both and the file to update", function () {
    expect(decideOnAaveRevision({ expected: 9, actual: 9, block: 36_000_000, pool: POOL })).to.deep.equal({ run: true });
    const v36 = decideOnAaveRevision({ expected: 9, actual: 10, block: 36_000_000, pool: POOL });
    expect(v36).to.deep.equal({
      run: false,
      reason:
        `Aave pool ${POOL} reports POOL_REVISION 10 (v3.5 rules) at block 36000000, but these scenarios expect 9 (v3.5 rules); ` +
        "check the revision's liquidation rules, then update BASE_AAVE_POOL_REVISION in test/fork/pinned-block.ts",
    });
    const older = decideOnAaveRevision({ expected: 9, actual: 7, block: 1, pool: POOL });
    expect(older.run ? "" : older.reason).to.match(/POOL_REVISION 7 \(v3\.3 rules\) .* expect 9 \(v3\.5 rules\)/);
  });

  it("reads the genuine pool's revision in a before hook: runs when it matches, skips and prints why when not", async function () {
    const { aave, sandbox } = await loadFixture(sandboxScenarioFixture);
    expect(sandbox.aave.revision).to.equal(10);
    const matching = recordingContext();
    expect(await skipUnlessAaveRevision(matching.context, aave, 10, () => undefined)).to.deep.equal({ run: true });
    expect(matching.skipped()).to.equal(false);

    const lines: string[] = [];
    const differing = recordingContext();
    const decision = await skipUnlessAaveRevision(differing.context, aave, BASE_AAVE_POOL_REVISION, (line) => lines.push(line));
    expect(differing.skipped()).to.equal(true);
    expect(decision.run).to.equal(false);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^ {6}skipped: Aave pool 0x[0-9a-fA-F]{40} reports POOL_REVISION 10 \(v3\.5 rules\) at block \d+, but these scenarios expect 9/,
    );
  });
});
