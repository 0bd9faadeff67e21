/**
 * An ethers v6 Provider whose every request goes through the read pool's failover. Market plug-ins,
 * TypeChain contracts and Multicall3 batches attach to this one object and never learn which
 * endpoint answered; a revert still arrives as ethers' CALL_EXCEPTION with its data, so custom
 * errors decode as usual.
 */
import { JsonRpcApiProvider, Network } from "ethers";
import type { JsonRpcError, JsonRpcPayload, JsonRpcResult } from "ethers";
import type { EndpointAnswer } from "./endpoint-provider";

/** The one capability the provider needs from the pool (an interface, so tests can drive it alone). */
export interface RawRpcRequester {
  requestRaw(method: string, params: readonly unknown[]): Promise<EndpointAnswer>;
}

export class PooledProvider extends JsonRpcApiProvider {
  constructor(
    private readonly requester: RawRpcRequester,
    chainId: number,
  ) {
    const network = Network.from(chainId);
    // No batching and no stall: the pool sends each call on its own, and the keeper's reaction time
    // budget (50 ms from price update to signed transaction) has no room for a batching delay.
    super(network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: 0 });
  }

  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    // JsonRpcApiProvider queues requests until started; with a static network there is nothing to wait for.
    this._start();
    return super.send(method, params);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const items = Array.isArray(payload) ? payload : [payload];
    return Promise.all(
      items.map(async (item): Promise<JsonRpcResult | JsonRpcError> => {
        const params = Array.isArray(item.params) ? item.params : [item.params];
        const answer = await this.requester.requestRaw(item.method, params);
        return answer.ok ? { id: item.id, result: answer.result } : { id: item.id, error: answer.error };
      }),
    );
  }
}
