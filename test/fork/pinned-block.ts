/**
 * The one Base mainnet block every fork test pins to. hardhat.config.ts forks at it and the fork
 * suites read it from here; change it only here, and re-check the fork scenarios when you do.
 */
export const BASE_FORK_BLOCK = 38_000_000;
