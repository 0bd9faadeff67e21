/**
 * keeper:rotate-key through `hre.run` against the executor Ignition deployed into the sandbox. Each test reads the
 * chain afterwards: who is an operator, where the old key's ETH went (to the wei, fee included), whose nonces moved.
 * Transactions "in flight" are real: an open intent in a real keeper journal (the chain side is its `latest`
 * count only: Base has no `pending` tag since Denim; test/unit/tasks/no-pending-tag.test.ts refuses the tag). The Safe case runs the written batch through a genuine 2-of-3 Safe.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { Wallet, id, parseEther } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address } from "../../../keeper/core/types";
import { Journal } from "../../../keeper/journal/journal";
import { SignerKeyLock } from "../../../keeper/submit/signer-key-lock";
import type { TaskOutcome } from "../../../tasks/lib/operator-task";
import type { SafeBatchFile } from "../../../tasks/lib/safe-batch";
import { GAS_PRICE_ORACLE_ADDRESS } from "../../../tasks/lib/op-stack-l1-fee";
import type { RotateKeyResult } from "../../../tasks/rotate-key";
import { deploySafe, executeBatch, type GenuineSafe } from "../../shared/safe-fixture";
import { attempt, makePlan } from "../keeper/journal/journal-fixtures";
import {
  captureTaskIo,
  deployedExecutorFixture,
  scratchDir,
  type CapturedOutput,
  type DeployedExecutor,
} from "./helpers/deployed-executor";
import { rejection } from "./helpers/rejection";

const TASK = "keeper:rotate-key";
const CREATED_AT = 1_767_225_600_000; // pinned so Safe batch names are predictable
/** The new keeper key: a fixed account none of the fixture's roles uses. */
const NEW_KEY = new Wallet(id("chimera rotate-key test: new keeper key"));
/** A second operator key whose private key only the test knows (not one of the node's accounts). */
const DETACHED_KEY = new Wallet(id("chimera rotate-key test: detached operator key"));

const provider = () => hre.ethers.provider;

/** Re-checks `condition` until it holds; used to act while a task is polling. A bound, not a timing assertion. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 25) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Journals an execution signed by `signer` at `nonce` and sent, as a keeper would just before its receipt. */
function journalSentIntent(journalPath: string, planId: string, signer: Address, nonce: number): string {
  const journal = Journal.open(journalPath);
  try {
    const tx = attempt(7, nonce, { signer });
    journal.planExecution(makePlan({ id: planId }), { mode: "LIVE" });
    journal.markSimulated(planId);
    journal.recordIntent(planId, { signer, nonce, maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas });
    journal.markSigned(planId, tx);
    journal.markSent(planId);
    return tx.txHash;
  } finally {
    journal.close();
  }
}

function keyRotationEvents(journalPath: string) {
  const journal = Journal.open(journalPath, { readonly: true });
  try {
    return journal.listSystemEvents({ kinds: ["key_rotation"] });
  } finally {
    journal.close();
  }
}

describe("tasks: keeper:rotate-key", () => {
  let f: DeployedExecutor;
  let output: CapturedOutput;
  let restore: () => void = () => undefined;
  /** Project root the task sees: its default journal is <root>/data/keeper-hardhat.sqlite. */
  let projectRoot: string;
  let journalPath: string;
  let reportsDir: string;

  beforeEach(async () => {
    f = await loadFixture(deployedExecutorFixture);
    projectRoot = scratchDir("project");
    journalPath = path.join(projectRoot, "data", "keeper-hardhat.sqlite");
    reportsDir = scratchDir("reports");
    ({ output, restore } = captureTaskIo(f, { reportsDir, projectRoot, now: () => CREATED_AT }));
  });
  afterEach(async () => {
    restore();
    // A test that switched automine off must not leave the node holding transactions for the next one.
    await hre.network.provider.send("evm_setAutomine", [true]);
    await hre.network.provider.send("evm_mine", []);
  });

  function createJournal(): void {
    Journal.open(journalPath).close(); // a keeper has run here
  }

  async function nonces(addresses: readonly string[]): Promise<number[]> {
    return Promise.all(addresses.map((address) => provider().getTransactionCount(address, "pending")));
  }

  /** An operator whose key is not among the node's accounts, funded with 1 ETH. */
  async function addDetachedOperator(): Promise<void> {
    await (await f.executor.setOperator(DETACHED_KEY.address, true)).wait();
    await (await f.outsider.sendTransaction({ to: DETACHED_KEY.address, value: parseEther("1") })).wait();
  }

  /** Checks the sweep paid the treasury the old key's whole balance minus gas 21,000 × maxFeePerGas, to the wei. */
  async function expectExactSweep(result: RotateKeyResult, oldBalanceBefore: bigint, treasuryBefore: bigint): Promise<void> {
    if (result.sweep.kind !== "swept") throw new Error(`expected a sweep, got ${result.sweep.kind}`);
    const tx = (await provider().getTransaction(result.sweep.receipt.txHash))!;
    const receipt = (await provider().getTransactionReceipt(result.sweep.receipt.txHash))!;
    expect(tx.from).to.equal(result.oldOperator);
    expect(tx.to).to.equal(f.treasury.address);
    expect(tx.gasLimit).to.equal(21_000n);
    const reserve = 21_000n * tx.maxFeePerGas!;
    expect(tx.value).to.equal(oldBalanceBefore - reserve);
    expect((await provider().getBalance(f.treasury.address)) - treasuryBefore).to.equal(oldBalanceBefore - reserve);
    // What stays on the old key is the unused fee headroom and nothing else, and the task said how much.
    const left = await provider().getBalance(result.oldOperator);
    expect(left).to.equal(reserve - receipt.fee);
    expect(left).to.equal(21_000n * (tx.maxFeePerGas! - receipt.gasPrice));
    expect(result.sweep.receipt.leftOnKey).to.equal(left);
    expect(output.text()).to.include(`left on the old key: ${left} wei`);
  }

  describe("owner is an account", () => {
    it("adds the new operator, removes the old, sweeps the old key's ETH to the treasury minus only the fee, journals the rotation", async () => {
      createJournal();
      const oldBalance = await provider().getBalance(f.operator.address);
      const treasuryBefore = await provider().getBalance(f.treasury.address);

      // No --old-operator: the executor's only operator is the one retired.
      const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, wait: 5 })) as RotateKeyResult;

      expect(result.stage).to.equal("completed");
      expect(result.oldOperator).to.equal(f.operator.address);
      expect(await f.executor.isOperator(NEW_KEY.address)).to.equal(true);
      expect(await f.executor.isOperator(f.operator.address)).to.equal(false);
      await expectExactSweep(result, oldBalance, treasuryBefore);

      if (result.add.kind !== "sent" || result.add.outcome.kind !== "sent" || result.remove.kind !== "sent")
        throw new Error("expected both role changes sent");
      const addTx = (await provider().getTransaction(result.add.outcome.txHashes[0]))!;
      const removeTx = (await provider().getTransaction(result.remove.txHashes[0]))!;
      expect(addTx.from).to.equal(f.owner.address);
      expect(addTx.data).to.equal(f.executor.interface.encodeFunctionData("setOperator", [NEW_KEY.address, true]));
      expect(removeTx.data).to.equal(f.executor.interface.encodeFunctionData("setOperator", [f.operator.address, false]));
      // Added strictly before removed: at no block did the executor have no operator.
      expect(addTx.blockNumber!).to.be.lessThan(removeTx.blockNumber!);

      const events = keyRotationEvents(journalPath);
      expect(events).to.have.length(1);
      expect(events[0].data).to.deep.include({
        stage: "completed",
        oldOperator: f.operator.address,
        newOperator: NEW_KEY.address,
        executor: f.address,
        addTxHashes: [addTx.hash],
        removeTxHashes: [removeTx.hash],
      });
      expect((events[0].data as { sweep: { txHash: string } }).sweep.txHash).to.equal(
        result.sweep.kind === "swept" && result.sweep.receipt.txHash,
      );
      expect(result.remaining.join("\n")).to.include(`Fund ${NEW_KEY.address}`).and.to.include("KEEPER_PRIVATE_KEY");
    });

    it("signs the sweep with KEEPER_PRIVATE_KEY when that is the old key", async () => {
      await addDetachedOperator();
      const previous = process.env.KEEPER_PRIVATE_KEY;
      process.env.KEEPER_PRIVATE_KEY = DETACHED_KEY.privateKey;
      try {
        const oldBalance = await provider().getBalance(DETACHED_KEY.address);
        const treasuryBefore = await provider().getBalance(f.treasury.address);
        const result = (await hre.run(TASK, {
          newOperator: NEW_KEY.address,
          oldOperator: DETACHED_KEY.address,
          wait: 5,
        })) as RotateKeyResult;
        expect(await f.executor.isOperator(DETACHED_KEY.address)).to.equal(false);
        await expectExactSweep(result, oldBalance, treasuryBefore);
        expect(output.text()).to.include(`${DETACHED_KEY.address} (KEEPER_PRIVATE_KEY)`);
      } finally {
        if (previous === undefined) delete process.env.KEEPER_PRIVATE_KEY;
        else process.env.KEEPER_PRIVATE_KEY = previous;
      }
    });

    it("without the old key, rotates the roles and prints the exact transfer to sweep by hand, sending none", async () => {
      await addDetachedOperator();
      const oldBalance = await provider().getBalance(DETACHED_KEY.address);
      const treasuryBefore = await provider().getBalance(f.treasury.address);
      const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, oldOperator: DETACHED_KEY.address, wait: 5 })) as RotateKeyResult;
      expect(result.stage).to.equal("completed");
      expect(await f.executor.isOperator(DETACHED_KEY.address)).to.equal(false);
      if (result.sweep.kind !== "key-unavailable") throw new Error(`expected key-unavailable, got ${result.sweep.kind}`);
      expect(await provider().getBalance(DETACHED_KEY.address)).to.equal(oldBalance);
      expect(await provider().getBalance(f.treasury.address)).to.equal(treasuryBefore);
      const { plan } = result.sweep;
      expect(plan.value).to.equal(oldBalance - 21_000n * plan.maxFeePerGas);
      expect(result.sweep.instruction)
        .to.include(`send ${plan.value} wei`)
        .and.to.include(f.treasury.address)
        .and.to.include("gas limit 21000")
        .and.to.include(`maxFeePerGas ${plan.maxFeePerGas} wei`);
      expect(result.remaining.join("\n")).to.include(result.sweep.instruction);
    });

    it("on an OP Stack chain, also reserves the L1 data fee the GasPriceOracle predeploy quotes", async () => {
      // TEST DOUBLE: no npm package ships the OP Stack GasPriceOracle, so its address gets six opcodes that answer
      // every call with a fixed fee (PUSH32 fee, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN). The in-process node
      // charges no L1 fee itself, so the reserve stays on the old key, where the test can see it.
      const l1Fee = 3_000_000_000_000n;
      const runtime = `0x7f${l1Fee.toString(16).padStart(64, "0")}60005260206000f3`;
      await hre.network.provider.send("hardhat_setCode", [GAS_PRICE_ORACLE_ADDRESS, runtime]);
      const oldBalance = await provider().getBalance(f.operator.address);
      const treasuryBefore = await provider().getBalance(f.treasury.address);
      const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, wait: 5 })) as RotateKeyResult;
      if (result.sweep.kind !== "swept") throw new Error(`expected a sweep, got ${result.sweep.kind}`);
      const tx = (await provider().getTransaction(result.sweep.receipt.txHash))!;
      const receipt = (await provider().getTransactionReceipt(result.sweep.receipt.txHash))!;
      expect(result.sweep.plan.l1FeeReserve).to.equal(l1Fee);
      expect(tx.value).to.equal(oldBalance - 21_000n * tx.maxFeePerGas! - l1Fee);
      expect((await provider().getBalance(f.treasury.address)) - treasuryBefore).to.equal(tx.value);
      expect(await provider().getBalance(f.operator.address)).to.equal(21_000n * tx.maxFeePerGas! + l1Fee - receipt.fee);
      expect(output.text()).to.include(`L1 data fee ≤ ${l1Fee} wei`);
    });

    it("leaves the sweep alone while a keeper holds the old key's signer lock, and says why", async () => {
      createJournal();
      const keeperLock = SignerKeyLock.acquire({ directory: path.dirname(journalPath), chainId: 8453, address: f.operator.address });
      try {
        const oldBalance = await provider().getBalance(f.operator.address);
        const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, wait: 5 })) as RotateKeyResult;
        expect(await f.executor.isOperator(f.operator.address)).to.equal(false);
        expect(result.sweep.kind).to.equal("key-locked");
        expect(await provider().getBalance(f.operator.address)).to.equal(oldBalance);
        expect(output.text()).to.include("WARNING: another keeper").and.to.include(keeperLock.path);
      } finally {
        keeperLock.release();
      }
    });
  });

  describe("the old key's transactions in flight", () => {
    it("an open journal intent by the old key: waits, then stops at --wait without removing it; step 1 stands and is said to", async () => {
      createJournal();
      const nonce = await provider().getTransactionCount(f.operator.address, "latest");
      journalSentIntent(journalPath, "plan-in-flight", f.operator.address as Address, nonce);
      const before = await nonces([f.operator.address]);
      const oldBalance = await provider().getBalance(f.operator.address);

      const message = await rejection(hre.run(TASK, { newOperator: NEW_KEY.address, wait: 1 }), /stopped after waiting 1 s/);

      expect(message).to.include("plan-in-flight").and.to.include(`${NEW_KEY.address} WAS added`).and.to.include("was NOT removed");
      expect(await f.executor.isOperator(NEW_KEY.address)).to.equal(true);
      expect(await f.executor.isOperator(f.operator.address)).to.equal(true);
      expect(await nonces([f.operator.address])).to.deep.equal(before);
      expect(await provider().getBalance(f.operator.address)).to.equal(oldBalance);
      expect(output.text()).to.include("Waiting up to 1 s");
      const events = keyRotationEvents(journalPath);
      expect(events.map((e) => (e.data as { stage: string }).stage)).to.deep.equal(["stopped-in-flight"]);
    });

    it("an open journal intent: completes once the keeper settles it in the journal", async () => {
      createJournal();
      const nonce = await provider().getTransactionCount(f.operator.address, "latest");
      const txHash = journalSentIntent(journalPath, "plan-settling", f.operator.address as Address, nonce);

      const running = hre.run(TASK, { newOperator: NEW_KEY.address, wait: 60 }) as Promise<RotateKeyResult>;
      await until(() => output.text().includes("Waiting up to 60 s"), "the task to start waiting");
      expect(await f.executor.isOperator(f.operator.address)).to.equal(true);
      const keeperJournal = Journal.open(journalPath);
      try {
        keeperJournal.markIncluded("plan-settling", {
          txHash,
          blockNumber: 1,
          gasUsed: 1n,
          effectiveGasPrice: 1n,
          realisedProfit: 0n,
          realisedProfitUsd: 0,
        });
      } finally {
        keeperJournal.close();
      }
      const result = await running;

      expect(result.stage).to.equal("completed");
      expect(await f.executor.isOperator(f.operator.address)).to.equal(false);
      expect(result.sweep.kind).to.equal("swept");
    });

    it("an open intent whose nonce the chain already used cannot land: reported, not waited for", async () => {
      createJournal();
      journalSentIntent(journalPath, "plan-stale", f.operator.address as Address, 0);
      await (await f.operator.sendTransaction({ to: f.outsider.address, value: 1n })).wait(); // nonce 0 is used now
      const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, wait: 0 })) as RotateKeyResult;
      expect(result.stage).to.equal("completed");
      expect(result.inFlight.settledOnChain.map((intent) => intent.planId)).to.deep.equal(["plan-stale"]);
      expect(output.text()).to.include("whose nonce is already used on chain").and.not.to.include("Waiting up to");
    });

    it("never asks the node for the old key's `pending` count, and says a transaction sent outside the keeper is not seen before it is mined", async () => {
      const askedAboutOldKey: string[] = [];
      const request = hre.network.provider.request.bind(hre.network.provider);
      hre.network.provider.request = async (args) => {
        const params = JSON.stringify(args.params ?? []).toLowerCase();
        if (params.includes('"pending"') && params.includes(f.operator.address.toLowerCase())) askedAboutOldKey.push(args.method);
        return request(args);
      };
      try {
        createJournal();
        const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, wait: 0 })) as RotateKeyResult;
        expect(result.stage).to.equal("completed");
        expect(result.sweep.kind).to.equal("swept");
      } finally {
        hre.network.provider.request = request;
      }
      expect(askedAboutOldKey).to.deep.equal([]);
      expect(output.text()).to.include("Base has no pending count");
    });
  });

  describe("owner is a genuine 2-of-3 Safe", () => {
    let genuine: GenuineSafe;
    let safeOwners: Awaited<ReturnType<typeof hre.ethers.getSigners>>;

    /** Ownership handed to the Safe with the tasks themselves: transfer-ownership, then the accept-ownership batch. */
    async function safeOwnedExecutor(): Promise<DeployedExecutor & { genuine: GenuineSafe }> {
      const deployed = await loadFixture(deployedExecutorFixture);
      const signers = await hre.ethers.getSigners();
      const safe = await deploySafe(signers[0], [signers[5], signers[6], signers[7]], 2);
      const handover = captureTaskIo(deployed, { reportsDir: scratchDir("reports-handover") });
      try {
        await hre.run("transfer-ownership", { to: safe.address });
        const accept = (await hre.run("accept-ownership", {})) as TaskOutcome;
        if (accept.kind !== "safe-batch") throw new Error("accept-ownership should write a Safe batch");
        await executeBatch(safe, accept.batch, [signers[5], signers[7]], signers[0]);
      } finally {
        handover.restore();
      }
      return { ...deployed, genuine: safe };
    }

    beforeEach(async () => {
      const owned = await loadFixture(safeOwnedExecutor);
      f = owned;
      genuine = owned.genuine;
      safeOwners = (await hre.ethers.getSigners()).slice(5, 8);
      restore();
      ({ output, restore } = captureTaskIo(f, { reportsDir, projectRoot, now: () => CREATED_AT }));
    });

    it("writes ONE batch (add new, remove old) after the in-flight check, sweeps the old key, and the executed batch rotates the roles", async () => {
      createJournal();
      const oldBalance = await provider().getBalance(f.operator.address);
      const treasuryBefore = await provider().getBalance(f.treasury.address);
      const safeNonce = await genuine.safe.nonce();

      const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, wait: 5 })) as RotateKeyResult;

      expect(result.stage).to.equal("awaiting-safe");
      expect(result.add.kind).to.equal("in-safe-batch");
      if (result.remove.kind !== "safe-batch") throw new Error(`expected a Safe batch, got ${result.remove.kind}`);
      const batch = JSON.parse(fs.readFileSync(result.remove.batchPath, "utf8")) as SafeBatchFile;
      expect(batch.meta.createdFromSafeAddress).to.equal(genuine.address);
      expect(batch.transactions.map((tx) => [tx.to, tx.data])).to.deep.equal([
        [f.address, f.executor.interface.encodeFunctionData("setOperator", [NEW_KEY.address, true])],
        [f.address, f.executor.interface.encodeFunctionData("setOperator", [f.operator.address, false])],
      ]);
      // Nothing changed on chain for the roles: the Safe has not executed anything.
      expect(await genuine.safe.nonce()).to.equal(safeNonce);
      expect(await f.executor.isOperator(NEW_KEY.address)).to.equal(false);
      expect(await f.executor.isOperator(f.operator.address)).to.equal(true);
      expect(output.text()).to.include("Transaction Builder").and.to.include(result.remove.batchPath);
      // The old key is on this machine (node account #2), so step 4 ran anyway.
      await expectExactSweep(result, oldBalance, treasuryBefore);
      const events = keyRotationEvents(journalPath);
      expect(events[0].data).to.deep.include({ stage: "safe-batch-written", safeBatch: result.remove.batchPath });

      await executeBatch(genuine, batch, [safeOwners[0], safeOwners[2]], f.outsider);
      expect(await f.executor.isOperator(NEW_KEY.address)).to.equal(true);
      expect(await f.executor.isOperator(f.operator.address)).to.equal(false);
    });

    it("--dry-run prints both calls and writes no batch", async () => {
      const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, dryRun: true })) as RotateKeyResult;
      expect(result.stage).to.equal("dry-run");
      expect(fs.existsSync(path.join(reportsDir, "safe"))).to.equal(false);
      expect(output.text())
        .to.include(f.executor.interface.encodeFunctionData("setOperator", [NEW_KEY.address, true]))
        .and.to.include(f.executor.interface.encodeFunctionData("setOperator", [f.operator.address, false]));
    });
  });

  describe("--dry-run", () => {
    it("sends nothing, writes nothing, and prints each call's calldata and the sweep", async () => {
      createJournal();
      const watched = [f.owner.address, f.operator.address, f.treasury.address];
      const before = await nonces(watched);
      const result = (await hre.run(TASK, { newOperator: NEW_KEY.address, dryRun: true })) as RotateKeyResult;
      expect(result.stage).to.equal("dry-run");
      expect(await nonces(watched)).to.deep.equal(before);
      expect(await f.executor.isOperator(NEW_KEY.address)).to.equal(false);
      expect(await f.executor.isOperator(f.operator.address)).to.equal(true);
      expect(keyRotationEvents(journalPath)).to.have.length(0);
      expect(output.text())
        .to.match(new RegExp(`calldata: +${f.executor.interface.encodeFunctionData("setOperator", [NEW_KEY.address, true])}`))
        .and.to.match(new RegExp(`calldata: +${f.executor.interface.encodeFunctionData("setOperator", [f.operator.address, false])}`))
        .and.to.match(/calldata: +0x\n/)
        .and.to.include("DRY RUN");
      expect(result.sweep.kind).to.equal("dry-run");
    });
  });

  describe("bad input changes nothing", () => {
    let before: number[];
    beforeEach(async () => {
      before = await nonces([f.owner.address, f.operator.address]);
    });
    afterEach(async () => {
      expect(await nonces([f.owner.address, f.operator.address])).to.deep.equal(before);
      expect(await f.executor.isOperator(f.operator.address)).to.equal(true);
    });

    it("the same address as new and old", async () => {
      await rejection(
        hre.run(TASK, { newOperator: f.operator.address, oldOperator: f.operator.address.toLowerCase() }),
        new RegExp(`--new-operator and --old-operator are both ${f.operator.address}`),
      );
    });

    it("an old operator that is not one, named in the error", async () => {
      const message = await rejection(
        hre.run(TASK, { newOperator: NEW_KEY.address, oldOperator: f.outsider.address }),
        /is not an operator/,
      );
      expect(message).to.include(`--old-operator ${f.outsider.address}`).and.to.include(`operators now: ${f.operator.address}`);
    });

    it("a malformed address, and a mixed-case one with a wrong checksum", async () => {
      await rejection(hre.run(TASK, { newOperator: "0x123" }), /--new-operator "0x123" is not an address/);
      // One letter's case flipped: still mixed case, so it must carry a valid EIP-55 checksum, and no longer does.
      const letter = NEW_KEY.address.slice(2).search(/[a-fA-F]/) + 2;
      const flipped =
        NEW_KEY.address[letter] === NEW_KEY.address[letter].toLowerCase()
          ? NEW_KEY.address[letter].toUpperCase()
          : NEW_KEY.address[letter].toLowerCase();
      const badChecksum = NEW_KEY.address.slice(0, letter) + flipped + NEW_KEY.address.slice(letter + 1);
      await rejection(hre.run(TASK, { newOperator: badChecksum }), /invalid EIP-55 checksum/);
      await rejection(hre.run(TASK, {}), /--new-operator is required/);
    });

    it("no executor deployment for the network", async () => {
      restore();
      ({ output, restore } = captureTaskIo({ ignitionDir: scratchDir("empty-ignition"), reportsDir }, { projectRoot }));
      await rejection(hre.run(TASK, { newOperator: NEW_KEY.address }), /no executor deployment for network "hardhat"/);
    });

    it("a --journal that does not exist, a negative --wait, a contract as the new key", async () => {
      await rejection(
        hre.run(TASK, { newOperator: NEW_KEY.address, journal: path.join(projectRoot, "typo.sqlite") }),
        /--journal .*typo\.sqlite does not exist/,
      );
      await rejection(hre.run(TASK, { newOperator: NEW_KEY.address, wait: -1 }), /--wait -1 is not a duration/);
      await rejection(hre.run(TASK, { newOperator: f.address }), /has contract code/);
    });

    it("several operators and no --old-operator: asks which to retire", async () => {
      await addDetachedOperator();
      before = await nonces([f.owner.address, f.operator.address]);
      const message = await rejection(hre.run(TASK, { newOperator: NEW_KEY.address }), /name the key to retire with --old-operator/);
      expect(message).to.include(f.operator.address).and.to.include(DETACHED_KEY.address);
    });
  });
});
