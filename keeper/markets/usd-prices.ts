/**
 * Token USD prices shared between markets, for the `valueUsd` figures of tracked positions (ranking
 * and risk limits only; never sent on chain). Morpho oracles price collateral in loan-token units, so
 * a Morpho market learns the USD value of its tokens from a market that prices in USD (Aave's oracle,
 * Moonwell's oracle), which write here as they read prices.
 */
export class UsdPriceBook {
  private readonly prices = new Map<string, number>();

  set(token: string, usd: number): void {
    if (!Number.isFinite(usd) || usd < 0) throw new Error(`usd prices: price of ${token} must be a finite non-negative number, got ${usd}`);
    this.prices.set(token.toLowerCase(), usd);
  }

  get(token: string): number | undefined {
    return this.prices.get(token.toLowerCase());
  }
}

/** Converts a raw token amount to USD with a USD price per whole token. */
export function amountToUsd(amount: bigint, decimals: number, usdPerToken: number | undefined): number {
  if (usdPerToken === undefined || amount === 0n) return 0;
  const scale = 10n ** BigInt(decimals);
  const whole = Number(amount / scale);
  const fraction = Number(amount % scale) / Number(scale);
  return (whole + fraction) * usdPerToken;
}
