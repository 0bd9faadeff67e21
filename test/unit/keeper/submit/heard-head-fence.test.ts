/**
 * The deadline fence's head on the send path (submit/fenced-broadcaster.ts, headFromHeardHeads): the newest head
 * the keeper heard by subscription, carried forward by the block time, instead of an eth_blockNumber round trip
 * after every signature; the node is asked only when no head was heard lately. Doubles: the chain is an object
 * counting its getBlockNumber calls (what eth_blockNumber answers), the heads a plain `latest` as HeadStream exposes.
 */
import { expect } from "chai";
import { deadlineFencedBroadcaster, headFromHeardHeads, SendFencedError } from "../../../../keeper/submit/fenced-broadcaster";
import type { RawBroadcastReport, SignedTxBroadcaster } from "../../../../keeper/execution/broadcast";

describe("submit: the deadline fence reads the head the keeper heard", () => {
  let now = 10_000;
  const clock = () => now;
  const heads: { latest: { number: number; receivedAtMs: number } | null } = { latest: null };
  let reads = 0;
  const chain = {
    getBlockNumber: async () => {
      reads += 1;
      return 500;
    },
  };
  const head = headFromHeardHeads(heads, chain, { blockTimeMs: 200, clock });

  beforeEach(() => {
    reads = 0;
    heads.latest = null;
  });

  it("takes a head heard within two block times, carried forward one block per block time, without asking the node", async () => {
    heads.latest = { number: 40, receivedAtMs: now - 5 };
    expect(await head.getBlockNumber()).to.equal(40);
    heads.latest = { number: 40, receivedAtMs: now - 250 };
    expect(await head.getBlockNumber()).to.equal(41);
    heads.latest = { number: 40, receivedAtMs: now - 400 };
    expect(await head.getBlockNumber()).to.equal(42);
    expect(reads).to.equal(0);
  });

  it("asks the node when no head was heard, or the last one is older than two block times (a quiet subscription, a stall)", async () => {
    expect(await head.getBlockNumber()).to.equal(500);
    heads.latest = { number: 40, receivedAtMs: now - 401 };
    expect(await head.getBlockNumber()).to.equal(500);
    // A head stamped in the future (a clock step back) is not trusted either.
    heads.latest = { number: 40, receivedAtMs: now + 50 };
    expect(await head.getBlockNumber()).to.equal(500);
    expect(reads).to.equal(3);
  });

  it("refuses a plan the heard head says is past its deadline, and sends one the next block still fits, with no read", async () => {
    const sent: string[] = [];
    const inner: SignedTxBroadcaster = {
      broadcast: async (signed): Promise<RawBroadcastReport> => {
        sent.push(signed.hash);
        return { acceptedBy: ["node"], alreadyIncluded: false };
      },
    };
    const fenced = deadlineFencedBroadcaster(inner, head);
    heads.latest = { number: 40, receivedAtMs: now - 10 };
    await fenced.broadcast({ raw: "0x01", hash: "0xfits", deadlineBlock: 41 });
    // 250 ms later the chain is at 41 by the clock: a plan due by 41 could only revert PlanExpired.
    now += 240;
    let refused: unknown = null;
    await fenced.broadcast({ raw: "0x02", hash: "0xlate", deadlineBlock: 41 }).catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(SendFencedError);
    expect((refused as Error).message).to.match(/deadline is block 41 and the chain is at block 41/);
    expect(sent).to.deep.equal(["0xfits"]);
    expect(reads).to.equal(0);
  });

  it("refuses a block time that is not positive", () => {
    expect(() => headFromHeardHeads(heads, chain, { blockTimeMs: 0 })).to.throw(/blockTimeMs must be > 0, got 0/);
  });
});
