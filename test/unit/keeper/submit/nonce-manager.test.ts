/**
 * NonceManager and its key lock: one writer per key, stale locks reclaimed, the chain's latest
 * count read at start (never `pending`: nonce-without-pending.test.ts adds the journal's open claims).
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NonceManager, type NonceSource } from "../../../../keeper/submit/nonce-manager";
import { SignerKeyLock, SignerKeyLockedError } from "../../../../keeper/submit/signer-key-lock";

const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const CHAIN_ID = 8453;

/** A chain double for the nonce read: counts calls and returns whatever the test sets. */
class CountingNonceSource implements NonceSource {
  reads = 0;
  constructor(public latest: number) {}
  async getTransactionCount(_address: string, blockTag: string): Promise<number> {
    if (blockTag !== "latest") throw new Error(`asked for ${blockTag}: the manager reads latest only`);
    this.reads++;
    return this.latest;
  }
}

function lockPathIn(directory: string): string {
  return path.join(directory, `signer-${CHAIN_ID}-${ADDRESS.toLowerCase()}.lock`);
}

function writeLock(directory: string, pid: number, host = os.hostname()): void {
  fs.mkdirSync(directory, { recursive: true });
  fs.writeFileSync(
    lockPathIn(directory),
    JSON.stringify({ pid, host, startedAt: "2026-01-01T00:00:00.000Z", address: ADDRESS, chainId: CHAIN_ID }),
  );
}

/** A process started and waited for: its pid is certainly dead (and not ours). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  if (child.pid === undefined) throw new Error("could not spawn a child process");
  return child.pid;
}

describe("NonceManager", function () {
  let directory: string;
  const opened: NonceManager[] = [];
  let sleeper: ChildProcess | null = null;

  async function open(source: NonceSource): Promise<NonceManager> {
    const manager = await NonceManager.open({ address: ADDRESS, chainId: CHAIN_ID, source, lockDirectory: directory });
    opened.push(manager);
    return manager;
  }

  beforeEach(function () {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-nonce-"));
  });

  afterEach(function () {
    for (const manager of opened.splice(0)) manager.close();
    if (sleeper?.pid !== undefined && sleeper.exitCode === null) process.kill(sleeper.pid);
    sleeper = null;
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it("starts from the chain's latest count and counts locally after that", async function () {
    const source = new CountingNonceSource(7);
    const manager = await open(source);

    const nonces = await Promise.all([manager.next(), manager.next(), manager.next()]);

    expect(nonces).to.deep.equal([7, 8, 9]);
    expect(source.reads).to.equal(1);
  });

  it("re-reads the chain on resync", async function () {
    const source = new CountingNonceSource(3);
    const manager = await open(source);
    await manager.next();
    await manager.next();
    source.latest = 4; // one of the two never reached the chain

    expect(await manager.resync()).to.equal(4);
    expect(await manager.next()).to.equal(4);
    expect(manager.resyncCount).to.equal(1);
  });

  it("steps back for an abandoned last nonce, and re-reads for an abandoned earlier one", async function () {
    const source = new CountingNonceSource(10);
    const manager = await open(source);
    await manager.next(); // 10, signed and sent
    const last = await manager.next(); // 11
    expect(await manager.abandon(last)).to.equal(11);
    expect(source.reads, "stepping back needs no chain read").to.equal(1);

    const earlier = await manager.next(); // 11 again
    await manager.next(); // 12, still in use: abandoning 11 would leave a gap
    source.latest = 11;
    expect(await manager.abandon(earlier)).to.equal(11);
    expect(source.reads).to.equal(2);
  });

  it("refuses a second writer on the same key, naming the holder's pid and the lock path", async function () {
    await open(new CountingNonceSource(0));

    const error = await open(new CountingNonceSource(0)).catch((e: unknown) => e);

    expect(error).to.be.instanceOf(SignerKeyLockedError);
    const message = (error as Error).message;
    expect(message).to.include(`another keeper (pid ${process.pid}`);
    expect(message).to.include("holds the key 0x7099…79C8 lock at");
    expect(message).to.include(lockPathIn(directory));
  });

  it("respects a lock held by another live process", async function () {
    sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    if (sleeper.pid === undefined) throw new Error("could not spawn a child process");
    writeLock(directory, sleeper.pid);

    const error = await open(new CountingNonceSource(0)).catch((e: unknown) => e);

    expect(error).to.be.instanceOf(SignerKeyLockedError);
    expect((error as SignerKeyLockedError).holder.pid).to.equal(sleeper.pid);
  });

  it("reclaims a stale lock whose process is gone", async function () {
    const pid = await deadPid();
    writeLock(directory, pid);

    const manager = await open(new CountingNonceSource(5));

    expect(await manager.next()).to.equal(5);
    const holder = JSON.parse(fs.readFileSync(lockPathIn(directory), "utf8")) as { pid: number };
    expect(holder.pid).to.equal(process.pid);
  });

  it("never reclaims a lock written on another host (its pid cannot be checked)", async function () {
    writeLock(directory, await deadPid(), "some-other-host");

    const error = await open(new CountingNonceSource(0)).catch((e: unknown) => e);

    expect(error).to.be.instanceOf(SignerKeyLockedError);
    expect((error as Error).message).to.include("on host some-other-host");
  });

  it("releases the lock on close, so the next keeper can start, and hands out nothing afterwards", async function () {
    const first = await open(new CountingNonceSource(0));
    first.close();

    expect(fs.existsSync(lockPathIn(directory))).to.equal(false);
    await open(new CountingNonceSource(0));
    const error = await first.next().catch((e: unknown) => e);
    expect((error as Error).message).to.match(/closed/);
  });

  it("releases the lock again when the start-up nonce read fails", async function () {
    const failing: NonceSource = { getTransactionCount: async () => Promise.reject(new Error("all RPC endpoints failed")) };

    await open(failing).catch(() => undefined);

    expect(fs.existsSync(lockPathIn(directory))).to.equal(false);
  });

  it("treats a lock file that is not a keeper's as an error to inspect by hand", function () {
    fs.writeFileSync(lockPathIn(directory), "garbage");
    expect(() => SignerKeyLock.acquire({ directory, chainId: CHAIN_ID, address: ADDRESS })).to.throw(/is not a keeper lock/);
  });
});
