/**
 * How a task fails: secrets never reach the printed error or its cause, and an outcome error a task
 * throws on purpose (report --reconcile) stays its own class, with its result, under the same scrubbing.
 */
import { expect } from "chai";
import { HardhatPluginError } from "hardhat/plugins";
import { TaskOutcomeError, secretFreeTaskError } from "../../../tasks/lib/task-errors";

const SECRET = `0x${"5a".repeat(32)}`;

class ExampleOutcome extends TaskOutcomeError {
  constructor(readonly result: { differences: number }) {
    super(`2 differences; key ${SECRET} in the text`);
  }
}

describe("tasks: task errors", () => {
  it("replaces a library's cause with a scrubbed copy: no secret in message, cause or stack", () => {
    const wrapped = secretFreeTaskError("chimera", new TypeError(`invalid BytesLike value (value="${SECRET}")`), [SECRET]);
    expect(wrapped).to.be.instanceOf(HardhatPluginError);
    const { message, parent } = wrapped as HardhatPluginError;
    expect(message).to.not.include(SECRET.slice(2));
    expect(parent).to.not.be.instanceOf(TypeError);
    expect(`${parent?.message} ${parent?.stack}`).to.not.include(SECRET.slice(2));
  });

  it("keeps a TaskOutcomeError as the cause, with its class and result, and scrubs its message and stack", () => {
    const outcome = new ExampleOutcome({ differences: 2 });
    const wrapped = secretFreeTaskError("chimera", outcome, [SECRET]) as HardhatPluginError;
    expect(wrapped.parent).to.equal(outcome);
    expect((wrapped.parent as ExampleOutcome).result).to.deep.equal({ differences: 2 });
    expect(`${wrapped.message} ${wrapped.parent?.message} ${wrapped.parent?.stack}`).to.not.include(SECRET.slice(2));
  });
});
