/**
 * The one Base mainnet block every fork test pins to. hardhat.config.ts forks at it and the fork suites read it from
 * here (and refuse to run on a fork of any other block); change it only here, and re-run `npm run test:fork` when you
 * do. Dates below come from Base's fixed 2-second blocks counted from genesis (2023-06-15 00:35:47 UTC): block N was
 * produced at about genesis + 2N seconds.
 *
 * Why 36,000,000 (about 2025-09-25 08:35 UTC):
 * - Aave V3 Base runs v3.3 or later code (v3.3 went live across Aave's networks in early 2025, v3.4 in mid-2025, v3.5
 *   in August 2025). The Aave fork scenarios expect the revision below and skip, saying so, on any other.
 * - cbBTC is an Aave Base reserve (listed in the second half of 2024, around block 20M) and Morpho's cbBTC/USDC 86%
 *   market exists (created at block 19,326,981), so the cbBTC scenarios have real markets to use.
 * - Base has run Isthmus (the Prague-equivalent EVM) since May 2025, which Hardhat's EVM executes faithfully.
 * - It precedes the events that reshaped the venues under test: the 2025-10-10 market crash, the 2025-11-03 Balancer
 *   V2 exploit (pools drained and paused on several chains, Base among them; its Vault is one of the flash sources
 *   here) and Moonwell's 2025-11 oracle incident on Base. Liquidity and markets are in their ordinary state.
 * - Recent enough that Moonwell, Aerodrome and the Uniswap pools have the depth the scenarios trade against, old
 *   enough that every archive RPC serves it, and a round number that is easy to recognise in logs.
 */
export const BASE_FORK_BLOCK = 36_000_000;

/**
 * The POOL_REVISION the Aave fork scenarios expect Base's pool to report at BASE_FORK_BLOCK: 9, Aave v3.5. v3.5 reached
 * Base through governance proposal 353 (Base payload 81, created 2025-07-22, executed before this block); v3.6
 * (revision 10) comes later with proposal 433 ("v3.6 Part 2", Base payload 90). The keeper sizes by the revision it
 * reads ("v3.5" rules here); the sandbox runs v3.6 (10) offline. If the fork reports anything else, the Aave suites
 * skip with a line naming both revisions (test/fork/lib/aave-revision-gate.ts): correct this constant only after
 * checking on chain (Pool.POOL_REVISION() at the block) and re-reading that revision's liquidation rules.
 */
export const BASE_AAVE_POOL_REVISION = 9;
