/**
 * Protocol events (borrows, repays, collateral moves, configuration changes) as typed `ProtocolEvent`s.
 * Every market's subscriptions are merged into ONE eth_getLogs per range (union of addresses and
 * topics), then each log goes to the subscriptions that asked for it and is decoded by its market.
 */
import type { BlockRange, ProtocolEvent, ProtocolEventSubscription } from "../markets/market";
import { fetchLogsInChunks, type LogProvider, type LogRangeOptions } from "./log-range-fetcher";

export class ProtocolEventCollector {
  private subscriptions: readonly ProtocolEventSubscription[] = [];
  private addresses: string[] = [];
  /** null = some subscription wants every event of its addresses, so no topic filter is sent. */
  private topics: string[] | null = [];
  /** getLogs requests made, for stats and tests. */
  logRequests = 0;

  constructor(
    private readonly provider: LogProvider,
    subscriptions: readonly ProtocolEventSubscription[] = [],
    private readonly options: LogRangeOptions = {},
  ) {
    this.setSubscriptions(subscriptions);
  }

  setSubscriptions(subscriptions: readonly ProtocolEventSubscription[]): void {
    this.subscriptions = subscriptions;
    this.addresses = [...new Set(subscriptions.flatMap((s) => s.addresses.map((a) => a.toLowerCase())))];
    this.topics = subscriptions.some((s) => s.topics.length === 0) ? null : [...new Set(subscriptions.flatMap((s) => s.topics))];
  }

  /** Every event in `range`, ordered by block then log index. */
  async collect(range: BlockRange): Promise<ProtocolEvent[]> {
    if (this.addresses.length === 0 || range.toBlock < range.fromBlock) return [];
    const events: ProtocolEvent[] = [];
    for await (const chunk of fetchLogsInChunks(
      this.provider,
      { address: this.addresses, topics: this.topics ? [this.topics] : undefined },
      range.fromBlock,
      range.toBlock,
      this.options,
    )) {
      this.logRequests += chunk.requests;
      for (const log of chunk.logs) {
        const address = log.address.toLowerCase();
        for (const subscription of this.subscriptions) {
          if (!subscription.addresses.some((a) => a.toLowerCase() === address)) continue;
          if (subscription.topics.length > 0 && !subscription.topics.includes(log.topics[0])) continue;
          events.push(...subscription.decode(log));
        }
      }
    }
    return events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }
}
