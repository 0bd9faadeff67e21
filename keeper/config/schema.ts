/**
 * The keeper's configuration schema: one validated shape for every network. A config file holds no
 * secret: RPC URLs, webhook URLs and keys live in the environment (or Hardhat vars) and the file names
 * the variable (`urlEnv: "BASE_RPC_URL"`). Every object is strict, so a misspelt field is an error
 * rather than a silently ignored setting. Messages say what is expected; load.ts adds the path and
 * what was found.
 */
import { getAddress } from "ethers";
import { z } from "zod";
import { MARKET_PLUGINS } from "../markets/registry";
import { marketsSchema } from "../markets/market-plugin";
import {
  basisPoints,
  bool,
  nonEmptyString,
  nonNegativeInteger,
  nonNegativeNumber,
  numberExpected,
  positiveInteger,
  positiveNumber,
  shareOfOne,
} from "./schema-fields";

export const KEEPER_NETWORKS = ["hardhat", "localhost", "base", "baseSepolia", "mainnet"] as const;
export type KeeperNetwork = (typeof KEEPER_NETWORKS)[number];

/** Networks whose chain is a throwaway sandbox: LIVE needs no safeguards there. */
export const SANDBOX_NETWORKS: readonly KeeperNetwork[] = ["hardhat", "localhost"];

export function isRealNetwork(network: string): boolean {
  return !(SANDBOX_NETWORKS as readonly string[]).includes(network);
}

const severity = z.enum(["THROTTLED", "HALTED"], { errorMap: () => ({ message: 'expected "THROTTLED" or "HALTED"' }) });

/** The NAME of an environment variable. A URL or key here is refused: files must not hold secrets. */
export const envVarName = z
  .string({
    invalid_type_error: "expected the name of an environment variable",
    required_error: "expected the name of an environment variable",
  })
  .regex(/^[A-Z][A-Z0-9_]*$/, "expected the NAME of an environment variable (e.g. BASE_RPC_URL), never the URL or key itself");

const address = z
  .string({ invalid_type_error: "expected an address (0x + 40 hex digits)", required_error: "expected an address (0x + 40 hex digits)" })
  .refine((value) => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(value)) return false;
    try {
      getAddress(value); // rejects a mixed-case address whose checksum is wrong
      return true;
    } catch {
      return false;
    }
  }, "expected an address (0x + 40 hex digits, valid EIP-55 checksum if mixed case)");

const endpoint = z.object({ name: nonEmptyString, urlEnv: envVarName }).strict();

const rpcSchema = z
  .object({
    /** Read endpoints, scored and failed over; empty on a sandbox network = use Hardhat's provider. */
    read: z.array(endpoint, { invalid_type_error: "expected a list of { name, urlEnv }" }),
    /** Endpoints raw transactions are sent to (all of them); separate from reads. */
    send: z.array(endpoint, { invalid_type_error: "expected a list of { name, urlEnv }" }),
    /**
     * WebSocket endpoints (ws:// or wss://) for eth_subscribe: newHeads and the oracles' logs arrive as they are
     * produced. Empty: heads and logs are polled over the read endpoints (the fallback either way).
     */
    subscribe: z
      .array(endpoint, { invalid_type_error: "expected a list of { name, urlEnv }" })
      .max(
        1,
        "expected at most one subscription endpoint (heads and logs come from one stream; polling the read endpoints is its fallback)",
      ),
    /** An endpoint whose head lags the best by more than this long (converted to blocks by the block time) is demoted. */
    maxHeadLagMs: nonNegativeInteger,
    requestTimeoutMs: positiveInteger,
  })
  .strict();

/**
 * How long things may take, in TIME: converted to blocks with the chain's block time (keeper/config/block-time.ts),
 * so Base's 200 ms blocks since Denim shrink nothing tenfold.
 */
const executionSchema = z
  .object({
    /** A plan's on-chain deadline: it reverts PlanExpired if it lands later than this after its simulation. */
    planDeadlineMs: positiveInteger,
    /** Without a receipt this long after a send, the transaction is fee-bumped (or cancelled). */
    inclusionTimeoutMs: positiveInteger,
    /** A position whose attempt failed is retried after initialMs, doubling while it keeps failing, up to maxMs. */
    retryBackoff: z.object({ initialMs: positiveInteger, maxMs: positiveInteger }).strict(),
  })
  .strict()
  .superRefine((execution, context) => {
    if (execution.retryBackoff.maxMs < execution.retryBackoff.initialMs) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["retryBackoff", "maxMs"],
        message: `expected at least retryBackoff.initialMs (${execution.retryBackoff.initialMs})`,
      });
    }
  });

/**
 * Fields that counted blocks before Base's 200 ms blocks (Denim), with what replaced them: a config that still
 * sets one is refused with this message instead of silently meaning a tenth of the time it used to.
 */
export const FIELDS_COUNTED_IN_BLOCKS: Readonly<Record<string, string>> = {
  "rpc.headLagBlocks": "rpc.maxHeadLagMs",
  "limits.borrowerCooldown": "limits.borrowerCooldownMs",
  "breaker.throttle.minBlocksBetweenExecutions": "breaker.throttle.minMsBetweenExecutions",
};

const strategySchema = z
  .object({
    bidShareOfProfit: shareOfOne,
    maxPriorityFeeGwei: positiveNumber,
    minProfitHaircutBps: basisPoints,
    dustUsd: nonNegativeNumber,
    gasUnitsFallback: positiveInteger,
    /** Positions within this health-factor distance of 1 get a plan prepared ahead of the price (0: none; default 0.03). */
    preparePlansWithinHf: z.number().min(0).max(1).optional(),
  })
  .strict();

const tier = z.union([z.literal(1), z.literal(2), z.literal(3)], { errorMap: () => ({ message: "expected tier 1, 2 or 3" }) });

const limitsSchema = z
  .object({
    /** A preset (TIER_PRESETS); the four USD fields below override it one by one. */
    tier: tier.optional(),
    minProfitUsd: nonNegativeNumber.optional(),
    maxSingleExecutionUsd: positiveNumber.optional(),
    maxDailyVolumeUsd: positiveNumber.optional(),
    maxDailyLossUsd: positiveNumber.optional(),
    maxPriorityFeeGwei: positiveNumber,
    maxFeePerGasGwei: positiveNumber,
    /** After a liquidation of a borrower, no other attempt on them for this long. */
    borrowerCooldownMs: nonNegativeInteger,
  })
  .strict()
  .superRefine((limits, context) => {
    if (limits.tier !== undefined) return;
    for (const field of ["minProfitUsd", "maxSingleExecutionUsd", "maxDailyVolumeUsd", "maxDailyLossUsd"] as const) {
      if (limits[field] === undefined) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          path: [field],
          message: "expected a number: without a tier every USD limit must be given",
        });
      }
    }
  });

const breakerSchema = z
  .object({
    failureRate: z.object({ windowSeconds: positiveInteger, minSamples: positiveInteger, maxRate: shareOfOne, severity }).strict(),
    /** maxUsd defaults to limits' maxDailyLossUsd. */
    dailyLoss: z.object({ maxUsd: positiveNumber.optional(), severity }).strict(),
    consecutiveFailures: z.object({ count: positiveInteger, severity }).strict(),
    profitDeviation: z
      .object({ tolerance: positiveNumber, occurrences: positiveInteger, windowSeconds: positiveInteger, severity })
      .strict(),
    staleHead: z.object({ maxSeconds: positiveNumber, severity }).strict(),
    sequencer: z.object({ gracePeriodSeconds: nonNegativeInteger, severity }).strict(),
    executorPaused: z.object({ severity }).strict(),
    /** THROTTLED lets one execution through per this long (converted to blocks). */
    throttle: z.object({ minMsBetweenExecutions: positiveInteger }).strict(),
  })
  .strict();

const alertTarget = z
  .object({
    kind: z.enum(["slack", "telegram", "json", "pagerduty"], {
      errorMap: () => ({ message: 'expected "slack", "telegram", "json" or "pagerduty"' }),
    }),
    /** Slack/JSON: the webhook URL's variable. Telegram: the bot token's. PagerDuty: the routing key's. */
    urlEnv: envVarName,
    /** Telegram only: the variable holding the chat id. */
    chatIdEnv: envVarName.optional(),
    /** PagerDuty only: the events endpoint when not the default (EU regions: https://events.eu.pagerduty.com/v2/enqueue). */
    eventsUrl: z.string().url("expected an https URL").optional(),
    minSeverity: z.enum(["info", "warning", "critical"], { errorMap: () => ({ message: 'expected "info", "warning" or "critical"' }) }),
  })
  .strict()
  .superRefine((target, context) => {
    if (target.kind === "telegram" && target.chatIdEnv === undefined) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["chatIdEnv"],
        message: "expected the name of the variable holding the Telegram chat id",
      });
    }
  });

export const keeperConfigSchema = z
  .object({
    network: z.enum(KEEPER_NETWORKS, { errorMap: () => ({ message: `expected one of ${KEEPER_NETWORKS.join(", ")}` }) }),
    mode: z.enum(["DRY", "LIVE"], { errorMap: () => ({ message: 'expected "DRY" or "LIVE"' }) }),
    rpc: rpcSchema,
    /** A bundle relay (eth_callBundle / eth_sendBundle); Ethereum mainnet only, Base has none. */
    relay: z
      .object({ urlEnv: envVarName, kind: z.literal("flashbots", { errorMap: () => ({ message: 'expected "flashbots"' }) }) })
      .strict()
      .optional(),
    /**
     * Milliseconds per block; absent = the chain's own (block-time.ts: Base 200 ms since Denim and 2 s before it,
     * decided by the head's timestamp; Ethereum 12 s). Every time setting is converted to blocks with it.
     */
    blockTimeMs: positiveInteger.optional(),
    /**
     * How price updates are seen: "logs" (AnswerUpdated events, subscribed or fetched; the answer comes from the
     * event) or "poll" (latestRoundData each block, for feeds that emit nothing). Absent: "logs" on real networks,
     * "poll" on the sandbox networks (a sandbox built without the clock has silent mock feeds).
     */
    oracleUpdates: z.enum(["logs", "poll"], { errorMap: () => ({ message: 'expected "logs" or "poll"' }) }).optional(),
    /** One section per registered market plug-in (keeper/markets/registry.ts), each plug-in's own schema. */
    markets: marketsSchema(MARKET_PLUGINS),
    strategy: strategySchema,
    execution: executionSchema,
    limits: limitsSchema,
    breaker: breakerSchema,
    journal: z
      .object({
        /** The SQLite file (the embedded default). */
        path: nonEmptyString,
        /** The variable that, when set, holds a postgres:// URL: the journal then lives there, shared by standbys. */
        databaseUrlEnv: envVarName.default("KEEPER_DATABASE_URL"),
        /** The leader lease (keeper/journal/keeper-lease.ts): its length, and how often its holder renews it. */
        lease: z.object({ seconds: positiveNumber, refreshSeconds: positiveNumber }).strict().default({ seconds: 3, refreshSeconds: 1 }),
      })
      .strict(),
    metrics: z
      .object({
        port: numberExpected("expected a TCP port (1-65535)", (n, message) => n.int(message).min(1, message).max(65_535, message)),
        host: nonEmptyString,
        /** Must be true for a host beyond loopback (cross-field-checks.ts): an explicit opt-in to expose /status and /metrics. */
        exposeBeyondLoopback: bool.optional(),
      })
      .strict(),
    alerts: z.object({ targets: z.array(alertTarget), rateLimitPerMinute: positiveInteger }).strict(),
    /** Below this ETH balance the operator key raises an alert. */
    operatorBalanceFloorEth: nonNegativeNumber,
    /** The executor contract; absent = read from the Ignition deployment of this network. */
    executor: address.optional(),
  })
  .strict()
  .superRefine((config, context) => {
    const { lease } = config.journal;
    if (lease.refreshSeconds * 2 > lease.seconds) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["journal", "lease", "refreshSeconds"],
        message: `expected at most half the lease (${lease.seconds} s), so one late renewal never loses it; got ${lease.refreshSeconds} s`,
      });
    }
    if (!isRealNetwork(config.network)) return;
    if (config.rpc.read.length === 0) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["rpc", "read"],
        message: "expected at least one read endpoint on a real network",
      });
    }
    if (config.rpc.send.length === 0) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["rpc", "send"],
        message: "expected at least one send endpoint on a real network",
      });
    }
  });

export type KeeperConfig = z.infer<typeof keeperConfigSchema>;
/** What a file or a defaults module may hold before validation (a partial file is merged over defaults). */
export type KeeperConfigInput = z.input<typeof keeperConfigSchema>;
