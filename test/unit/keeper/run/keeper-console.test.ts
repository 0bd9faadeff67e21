/**
 * The keeper's console: one format per console (JSON records off a terminal, human lines on one), a log
 * line on a terminal never lands on the end of the progress line, and public 32-byte values (the keeper's
 * own transaction hashes, learnt while running) stay visible in free text while a key in the same line does not.
 */
import { expect } from "chai";
import { keeperConsole } from "../../../../keeper/run/keeper-console";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"; // Hardhat test key #1: public
const HASH = `0x${"ab".repeat(32)}`;
const fields = { block: 7, tracked: 3, liquidatable: 1, executed: 0, skipped: 0, inFlight: 1, profitUsd: 0 };

function capture(isTTY: boolean) {
  let text = "";
  return { output: { isTTY, write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe("keeper console", function () {
  it("off a terminal, messages, progress and the summary are JSON records, and nothing else is written", function () {
    const sink = capture(false);
    const out = keeperConsole(sink.output, { knownSecrets: [] });
    out.print("Keeper LIVE on base");
    out.progress(fields);
    out.progress({ ...fields, block: 8 }); // only the block moved: no new record
    out.logger.warn({ endpoint: "primary" }, "read endpoint demoted");
    out.summary("┌ table ┐", { included: 2 });
    const records = sink
      .text()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => r.msg)).to.deep.equal([
      "Keeper LIVE on base",
      "block 7 │ tracked 3 │ liquidatable 1 │ executed 0 │ in flight 1 │ skipped 0 │ profit $0.00",
      "read endpoint demoted",
      "run summary",
    ]);
    expect(records[0]!.console).to.equal(true);
    expect(records[3]!.summary).to.deep.equal({ included: 2 });
  });

  it("on a terminal, a log line clears the progress line, prints on its own line, and the progress line is drawn again", function () {
    const sink = capture(true);
    const out = keeperConsole(sink.output, { knownSecrets: [] });
    out.progress(fields);
    out.logger.info("market ready");
    out.print("Waiting for blocks");
    const clear = `\r${String.fromCharCode(27)}[2K`;
    const text = sink.text();
    expect(text.startsWith(`${clear}block 7`)).to.equal(true);
    const progress = text.slice(clear.length, text.indexOf(clear, clear.length));
    // After the progress line: clear it, the log line (pretty, ending in a newline), the progress line again.
    const rest = text.slice(clear.length + progress.length);
    expect(rest.startsWith(clear)).to.equal(true);
    expect(rest).to.match(/INFO.*market ready.*\n/);
    expect(rest).to.contain(`Waiting for blocks\n${progress}`);
    expect(text.split("\n").some((line) => line.trim().startsWith("{"))).to.equal(false);
  });

  it("keeps a public hash learnt while running, in free text, and scrubs a key in the same line", function () {
    const publicValues: string[] = [];
    const sink = capture(false);
    const out = keeperConsole(sink.output, { knownSecrets: [KEY], publicValues: () => publicValues });
    out.logger.info({ detail: `tx ${HASH} in block 9` }, "before");
    publicValues.push(HASH);
    out.logger.info({ detail: `tx ${HASH} in block 9; key ${KEY}` }, "after");
    const [before, after] = sink.text().trim().split("\n");
    expect(before).to.not.contain(HASH);
    expect(after).to.contain(HASH).and.not.contain(KEY.slice(2));
  });
});
