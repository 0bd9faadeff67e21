import { expect } from "chai";
import { classifySendError, isAccepted, type SendOutcome } from "../../../../keeper/submit/send-answer";

describe("classifySendError", function () {
  // Wording as emitted by geth, reth, erigon, Hardhat and the OP Stack sequencer.
  const cases: Array<[string, SendOutcome]> = [
    ["already known", "already-known"],
    ["Known transaction: 0xf0ef4ecf66a3168f7f98a33decf9ec0c2900e9a8e11a143642d2f9995aa3d94a", "already-known"],
    ["transaction already imported", "already-known"],
    ["nonce too low", "nonce-too-low"],
    ["Nonce too low. Expected nonce to be 1 but got 0. Note that transactions can't be queued when automining.", "nonce-too-low"],
    ["nonce too low: next nonce 5, tx nonce 4", "nonce-too-low"],
    ["replacement transaction underpriced", "replacement-underpriced"],
    ["Replacement transaction underpriced. A gasPrice/maxFeePerGas of at least 1111000000 is necessary", "replacement-underpriced"],
    ["transaction underpriced", "fee-too-low"],
    ["max fee per gas less than block base fee: address 0xabc, maxFeePerGas: 1 baseFee: 7", "fee-too-low"],
    ["insufficient funds for gas * price + value", "insufficient-funds"],
    ["Nonce too high. Expected nonce to be 2 but got 6.", "nonce-too-high"],
    ["transaction type not supported", "rejected"],
  ];

  for (const [message, outcome] of cases) {
    it(`reads "${message.slice(0, 60)}" as ${outcome}`, function () {
      expect(classifySendError({ code: -32000, message })).to.equal(outcome);
    });
  }

  it("counts Hardhat's revert error that names our mined transaction as accepted, and one naming another as rejected", function () {
    const ours = "0xac84ff64c537958e661ed2dbcf492153b921533b7dc706fb339fcaf0a96aa125";
    const error = { code: -32603, message: "Error: Transaction reverted without a reason string", data: { txHash: ours } };
    expect(classifySendError(error, ours)).to.equal("accepted");
    expect(classifySendError(error, `0x${"11".repeat(32)}`)).to.equal("rejected");
  });

  it("treats only accepted and already-known as the node having the transaction", function () {
    const all: SendOutcome[] = [
      "accepted",
      "already-known",
      "nonce-too-low",
      "replacement-underpriced",
      "fee-too-low",
      "insufficient-funds",
      "nonce-too-high",
      "rejected",
      "unreachable",
    ];
    expect(all.filter(isAccepted)).to.deep.equal(["accepted", "already-known"]);
  });
});
