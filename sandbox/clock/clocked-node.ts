/**
 * The sandbox as a node with its own clock: Hardhat's JSON-RPC server (HTTP and WebSocket, eth_subscribe included;
 * the same class `npx hardhat node` runs) over the in-process chain, serving Denim's millisecond fields
 * (clocked-provider.ts), while a ChainClock mines a block every 200 ms. A keeper connects to it by URL, exactly as it
 * connects to a Base node; a scenario driver and a rival act on the chain in this process, on the clock's time.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { JsonRpcServer } from "hardhat/internal/hardhat-network/jsonrpc/server";
import { installBaseTime } from "./base-time";
import { ChainClock } from "./chain-clock";
import { ClockedProvider, type SubscribableProvider } from "./clocked-provider";
import { isClockedRuntime } from "./clocked-runtime";

export interface ClockedNodeOptions {
  /** Default 127.0.0.1; a port of 0 (the default) takes any free one. */
  readonly hostname?: string;
  readonly port?: number;
  /** Default 200. */
  readonly blockTimeMs?: number;
}

export interface ClockedNode {
  /** http://host:port/ */
  readonly httpUrl: string;
  /** ws://host:port/ (the same server) */
  readonly wsUrl: string;
  readonly clock: ChainClock;
  /** Wall-clock ms a transaction sent over this node's RPC arrived (ClockedProvider.arrivalOf). */
  arrivalOf(txHash: string): number | undefined;
  /** Stops the clock (automine back on) and the server. */
  close(): Promise<void>;
}

export async function startClockedNode(hre: HardhatRuntimeEnvironment, options: ClockedNodeOptions = {}): Promise<ClockedNode> {
  if (hre.network.name !== "hardhat") {
    throw new Error(`a clocked node serves the in-process "hardhat" network; this run uses "${hre.network.name}"`);
  }
  if (!isClockedRuntime(hre)) {
    throw new Error(
      "a clocked node needs a chain that mines blocks sharing a whole-second timestamp: pass the runtime createClockedRuntime(hre) returns (sandbox/clock/clocked-runtime.ts)",
    );
  }
  const chain = hre.network.provider as unknown as SubscribableProvider;
  await installBaseTime(hre, chain);
  const provider = new ClockedProvider(chain);
  const server = new JsonRpcServer({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    provider: provider as unknown as ConstructorParameters<typeof JsonRpcServer>[0]["provider"],
  });
  const { address, port } = await server.listen();
  const clock = new ChainClock({
    provider: chain,
    blockTimeMs: options.blockTimeMs,
    onSealing: (blockNumber, timestampMs) => provider.knowSealedBlock(blockNumber, timestampMs),
  });
  try {
    await clock.start();
  } catch (error) {
    await server.close();
    throw error;
  }
  let closed = false;
  return {
    httpUrl: `http://${address}:${port}/`,
    wsUrl: `ws://${address}:${port}/`,
    clock,
    arrivalOf: (txHash) => provider.arrivalOf(txHash),
    close: async () => {
      if (closed) return;
      closed = true;
      await clock.stop();
      provider.detach();
      await server.close();
    },
  };
}
