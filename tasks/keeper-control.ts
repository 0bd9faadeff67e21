/**
 * Steering a running keeper without restarting it. Each command validates its arguments, writes a
 * control request (and its system event) into the network's journal, and says what the keeper will
 * do with it: the keeper polls the queue once per loop iteration, applies or rejects each request,
 * and journals the outcome. `--wait <seconds>` stays to print that outcome.
 *
 *   npx hardhat keeper:resume --reason "<why it is safe>"   HALTED → running again (breaker permitting)
 *   npx hardhat keeper:mode --mode dry|live                 switch DRY/LIVE (LIVE: same safeguards as start-up)
 *   npx hardhat keeper:tier --tier 1|2|3                    switch risk-limit preset
 *
 * Common options: --journal <path> (default data/keeper-<network>.sqlite), --operator <name> (who is
 * asking; default the OS user), --wait <seconds>.
 *
 * Every command says what became of its request: when a keeper holds the journal's lease (it is
 * running), the task waits for it to apply the request (15 s unless --wait says otherwise; --wait 0
 * returns at once) and prints the outcome; when none does, it says the request stays queued for the
 * next start and what that start will check first.
 */
import os from "node:os";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { defaultsFor } from "../keeper/config/defaults";
import {
  LIVE_RISK_ACKNOWLEDGEMENT,
  RELAY_AUTH_KEY_VARIABLE,
  SIGNING_KEY_VARIABLE,
  checkLiveSafeguards,
} from "../keeper/config/live-safeguards";
import { KEEPER_NETWORKS, isRealNetwork, type KeeperNetwork } from "../keeper/config/schema";
import type { KeeperMode } from "../keeper/core/types";
import { Journal } from "../keeper/journal/journal";
import { leaseIsLive } from "../keeper/journal/keeper-lease";
import type { ControlRequestPayloads, ControlRequestRecord } from "../keeper/journal/records";
import { TIER_PRESETS, type RiskTier } from "../keeper/risk/limits";
import { envOrVar } from "./lib/config-vars";
import { asTaskError } from "./lib/operator-task";
import { journalExists, taskJournalLocation } from "./journal-location";

export interface ControlCommonArgs {
  readonly journal?: string;
  readonly operator?: string;
  /** Seconds to wait for the keeper to apply the request; 0 or unset returns at once. */
  readonly wait?: number;
}

export interface ControlDeps {
  readonly network: string;
  readonly projectRoot: string;
  /** Settings for the LIVE safeguards (the environment merged with Hardhat vars). */
  readonly env: Record<string, string | undefined>;
  readonly print: (text: string) => void;
  /** How often --wait re-reads the request. Default 500 ms. */
  readonly pollIntervalMs?: number;
}

export interface ControlResult {
  readonly journalPath: string;
  readonly request: ControlRequestRecord;
  /** Whether a keeper held the journal's lease when the request was queued. */
  readonly keeperRunning: boolean;
}

/** How long a control task waits for a running keeper when --wait is not given. */
export const DEFAULT_WAIT_SECONDS = 15;

/** What a keeper that starts later does before it applies queued requests, per kind. */
const AT_NEXT_START: Readonly<Record<"resume" | "mode" | "tier", string>> = {
  resume:
    "At its next start the keeper first re-reads the executor's pause state, the L2 sequencer feed and the chain head, then applies queued " +
    "requests oldest first: this resume is applied if the breaker is still HALTED and none of those causes is true any more, and rejected " +
    "with the reason otherwise (the keeper's log and `npx hardhat status` show which).",
  mode:
    "At its next start the keeper applies queued requests oldest first; a switch to LIVE is checked against the LIVE safeguards in the " +
    "keeper's own environment and rejected with the reason if they fail.",
  tier: "At its next start the keeper applies queued requests oldest first, this tier change among them.",
};

const WHEN = "at its next loop iteration (the keeper polls control requests once per iteration, about once per block)";

export async function requestResume(args: ControlCommonArgs & { readonly reason?: string }, deps: ControlDeps): Promise<ControlResult> {
  const reason = requireText("--reason", args.reason, 'why it is safe to resume, e.g. --reason "RPC provider recovered"');
  return enqueue(args, deps, "resume", { reason }, [
    `A running keeper will, ${WHEN}, ask its circuit breaker to resume.`,
    "If the breaker is HALTED and none of its external causes (stale RPC head, sequencer down, executor paused) is still true,",
    "it leaves HALTED and sending resumes; otherwise the keeper rejects the request and journals why. A keeper that is not",
    "HALTED rejects it as having nothing to resume.",
  ]);
}

export async function requestMode(
  args: ControlCommonArgs & { readonly mode?: string; readonly reason?: string },
  deps: ControlDeps,
): Promise<ControlResult> {
  const mode = parseMode(args.mode);
  if (mode === "LIVE" && isRealNetwork(deps.network)) {
    const violations = checkLiveSafeguards(deps.env, { usesRelay: networkUsesRelay(deps.network) });
    if (violations.length > 0) {
      throw new Error(`keeper:mode --mode live refused on ${deps.network}; nothing was queued:\n  - ${violations.join("\n  - ")}`);
    }
  }
  const what =
    mode === "LIVE"
      ? [
          `A running keeper will, ${WHEN}, check the LIVE safeguards again in its own environment and switch to LIVE:`,
          "approved plans are then signed and sent. If its environment fails the safeguards it stays DRY and journals why.",
        ]
      : [
          `A running keeper will, ${WHEN}, switch to DRY: it keeps simulating and journaling but sends nothing new.`,
          "Transactions already in flight are still tracked to their receipt (or replaced/cancelled as usual).",
        ];
  return enqueue(args, deps, "mode", args.reason === undefined ? { mode } : { mode, reason: args.reason }, what);
}

export async function requestTier(
  args: ControlCommonArgs & { readonly tier?: string | number; readonly reason?: string },
  deps: ControlDeps,
): Promise<ControlResult> {
  const tier = parseTier(args.tier);
  const preset = TIER_PRESETS[tier];
  return enqueue(args, deps, "tier", args.reason === undefined ? { tier } : { tier, reason: args.reason }, [
    `A running keeper will, ${WHEN}, switch its risk limits to tier ${tier}:`,
    `single execution ≤ $${usd(preset.maxSingleExecutionUsd)}, daily volume ≤ $${usd(preset.maxDailyVolumeUsd)}, ` +
      `min profit $${usd(preset.minProfitUsd)}, daily loss ≤ $${usd(preset.maxDailyLossUsd)}.`,
    "Fee caps and the borrower cooldown stay as configured; the change is journaled as a tier_change event.",
  ]);
}

/* ───────────────────────────── shared ───────────────────────────── */

async function enqueue<K extends "resume" | "mode" | "tier">(
  args: ControlCommonArgs,
  deps: ControlDeps,
  kind: K,
  payload: ControlRequestPayloads[K],
  explanation: readonly string[],
): Promise<ControlResult> {
  const waitSeconds = parseWait(args.wait);
  const operator = args.operator?.trim() || currentUser();
  const journalPath = taskJournalLocation(args.journal, deps.network, deps.projectRoot);
  if (!journalExists(journalPath)) {
    throw new Error(
      `no journal at ${journalPath}; a keeper creates it on its first run on ${deps.network}. Is the keeper running on this network? Pass --journal <path> otherwise.`,
    );
  }
  const journal = Journal.open(journalPath);
  try {
    const lease = journal.leaseView();
    const keeperRunning = leaseIsLive(lease);
    let request: ControlRequestRecord = journal.enqueueControlRequest(kind, payload, operator);
    deps.print(`Queued control request #${request.id} (${kind} ${JSON.stringify(request.payload)}) from ${operator} in ${journalPath}.`);
    deps.print(explanation.join("\n"));
    if (!keeperRunning) {
      const last = lease.lease;
      deps.print(
        `No keeper is running on this journal${last === undefined ? "" : ` (the last one, ${last.holderInfo}, stopped renewing its lease at ${new Date(last.renewedAt).toISOString()})`}: ` +
          `request #${request.id} stays queued for the next start.`,
      );
      deps.print(AT_NEXT_START[kind]);
      return { journalPath, request, keeperRunning };
    }
    const seconds = waitSeconds ?? DEFAULT_WAIT_SECONDS;
    if (seconds === 0) {
      deps.print(
        `A keeper is running on this journal (${lease.lease!.holderInfo}); follow the outcome on /status, or rerun with --wait <seconds>.`,
      );
      return { journalPath, request, keeperRunning };
    }
    deps.print(
      `A keeper is running on this journal (${lease.lease!.holderInfo}); waiting up to ${seconds} s for it to apply request #${request.id} ...`,
    );
    request = await waitForOutcome(journal, request.id, seconds, deps.pollIntervalMs ?? 500);
    deps.print(
      request.appliedAt === null
        ? `The keeper did not apply request #${request.id} within ${seconds} s; it stays queued and the keeper applies it at its next loop iteration.`
        : `The keeper ${request.outcome} request #${request.id}: ${request.outcomeDetail}`,
    );
    return { journalPath, request, keeperRunning };
  } finally {
    journal.close();
  }
}

async function waitForOutcome(journal: Journal, id: number, seconds: number, pollMs: number): Promise<ControlRequestRecord> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const request = journal.getControlRequest(id)!;
    if (request.appliedAt !== null || Date.now() >= deadline) return request;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function requireText(flag: string, value: string | undefined, expected: string): string {
  if (value === undefined || value.trim() === "") throw new Error(`${flag} is required: ${expected}`);
  return value.trim();
}

export function parseMode(value: string | undefined): KeeperMode {
  const normalised = value?.trim().toUpperCase();
  if (normalised !== "DRY" && normalised !== "LIVE") {
    throw new Error(`--mode ${value === undefined ? "is required" : `"${value}" is not a mode`}; expected dry or live`);
  }
  return normalised;
}

export function parseTier(value: string | number | undefined): RiskTier {
  const text = value === undefined ? "" : String(value).trim();
  if (text !== "1" && text !== "2" && text !== "3") {
    throw new Error(`--tier ${value === undefined ? "is required" : `"${value}" is not a tier`}; expected 1, 2 or 3`);
  }
  return Number(text) as RiskTier;
}

function parseWait(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--wait ${value} is not a duration; expected seconds >= 0`);
  return value;
}

/** Whether the network's keeper sends through a bundle relay (its LIVE safeguards then include the relay key). */
function networkUsesRelay(network: string): boolean {
  return (KEEPER_NETWORKS as readonly string[]).includes(network) && defaultsFor(network as KeeperNetwork).relay !== undefined;
}

/** The OS account running the task; containers without a passwd entry fall back to $USER. */
function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "unknown-operator";
  }
}

function usd(value: number): string {
  return value.toLocaleString("en-US");
}

/** The environment as the safeguards see it: process.env, with Hardhat vars filling the three it reads. */
function safeguardSettings(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of [LIVE_RISK_ACKNOWLEDGEMENT, SIGNING_KEY_VARIABLE, RELAY_AUTH_KEY_VARIABLE]) env[name] = envOrVar(name);
  return env;
}

function depsFor(hre: HardhatRuntimeEnvironment): ControlDeps {
  return {
    network: hre.network.name,
    projectRoot: hre.config.paths.root,
    env: safeguardSettings(),
    print: (text) => console.log(text),
  };
}

/** A control task with the options every control command shares. */
function controlTask(name: string, description: string) {
  return task(name, description)
    .addOptionalParam("journal", "Journal file of the running keeper (default: data/keeper-<network>.sqlite)", undefined, types.string)
    .addOptionalParam("operator", "Who is asking, recorded in the journal (default: the OS user)", undefined, types.string)
    .addOptionalParam(
      "wait",
      `Seconds to wait for a running keeper to apply the request (default ${DEFAULT_WAIT_SECONDS}; 0: do not wait)`,
      undefined,
      types.float,
    );
}

controlTask("keeper:resume", "Ask a running keeper to leave HALTED (its breaker re-checks the causes first)")
  .addOptionalParam("reason", "Why it is safe to resume (required; journaled)", undefined, types.string)
  .setAction(async (args, hre) => asTaskError(() => requestResume(args, depsFor(hre))));

controlTask("keeper:mode", "Switch a running keeper between DRY and LIVE through its journal")
  .addOptionalParam("mode", "dry or live (required)", undefined, types.string)
  .addOptionalParam("reason", "Why (journaled)", undefined, types.string)
  .setAction(async (args, hre) => asTaskError(() => requestMode(args, depsFor(hre))));

controlTask("keeper:tier", "Switch a running keeper's risk limits to tier 1, 2 or 3 through its journal")
  .addOptionalParam("tier", "1, 2 or 3 (required)", undefined, types.string)
  .addOptionalParam("reason", "Why (journaled)", undefined, types.string)
  .setAction(async (args, hre) => asTaskError(() => requestTier(args, depsFor(hre))));
