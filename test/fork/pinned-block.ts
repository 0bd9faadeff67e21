/**
 * The one Base mainnet block every fork test pins to. hardhat.config.ts forks at it and the fork suites read it from
 * here (and refuse to run on a fork of any other block); change it only here, and re-run `npm run test:fork` when you
 * do. Block times below come from Base's fixed 2-second blocks counted from genesis (2023-06-15 00:35:47 UTC), so
 * block N was produced at about genesis + 2N seconds.
 *
 * Why 38,000,000 (about 2025-11-10):
 * - Aave V3 Base runs v3.3 or later code (v3.3 went live on Base in early 2025; v3.4 and v3.5 followed in 2025). The
 *   keeper maps POOL_REVISION to its rules at run time and keeper-dry-run.fork.test.ts asserts "v3.3", so a block
 *   before the upgrade would fail loudly rather than test the old rules.
 * - cbBTC is an Aave Base reserve (listed in the second half of 2024, around block 20M) and Morpho's cbBTC/USDC 86%
 *   market exists (created at block 19,326,981), so the cbBTC scenarios have real markets to use.
 * - Base has run Isthmus (Prague-equivalent EVM) since May 2025, which Hardhat's EVM executes faithfully, and the
 *   block predates the next OP-stack upgrade (Jovian, late 2025), so no newer rule can make the fork diverge.
 * - Recent enough that Moonwell, Aerodrome and the Uniswap pools have the depth the scenarios trade against, and old
 *   enough that every archive RPC serves it. A round number, so it is easy to recognise in logs and RPC dashboards.
 */
export const BASE_FORK_BLOCK = 38_000_000;
