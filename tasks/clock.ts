/**
 * The sandbox's chain on its own clock, for a running `npx hardhat node` (sandbox/clock/):
 *
 *   CHIMERA_CLOCKED_NODE=1 npx hardhat node            # terminal 1 (serves timestampMs / blockTimestampMs too)
 *   npx hardhat sandbox:clock --network localhost      # terminal 2: a block every 200 ms until Ctrl-C
 *
 * CHIMERA_CLOCKED_NODE=1 lets the node mine blocks that share a timestamp (hardhat.config.ts; off by default, as
 * Hardhat's own default). `sandbox:clock` turns the node's automine off, installs the BaseTime stand-in, and mines on a fixed grid, five
 * blocks to a second sharing one timestamp, each starting with the BaseTime deposit. The node's JSON-RPC server is
 * given the ClockedProvider, so blocks, headers, logs and receipts carry Denim's millisecond fields over HTTP and
 * WebSocket (blocks mined without the clock carry 1000 × timestamp).
 */
import { subtask, task, types } from "hardhat/config";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import { HardhatPluginError } from "hardhat/plugins";

subtask(TASK_NODE_CREATE_SERVER).setAction(async (args: { provider: unknown }, _hre, runSuper) => {
  const { ClockedProvider } = await import("../sandbox/clock/clocked-provider");
  return runSuper({ ...args, provider: new ClockedProvider(args.provider as ConstructorParameters<typeof ClockedProvider>[0]) });
});

task("sandbox:clock", "Mines the local node on a 200 ms clock (Base since Denim) until Ctrl-C")
  .addOptionalParam("blockTime", "Milliseconds between blocks", 200, types.int)
  .setAction(async (args: { blockTime: number }, hre) => {
    if (hre.network.name !== "localhost") {
      throw new HardhatPluginError(
        "chimera-clock",
        `sandbox:clock drives a running \`npx hardhat node\`: run it with --network localhost (the in-process chain's clock is started by \`npx hardhat keeper\` itself)`,
      );
    }
    const { ChainClock, installBaseTime } = await import("../sandbox/clock");
    await installBaseTime(hre);
    const clock = new ChainClock({ provider: hre.network.provider, blockTimeMs: args.blockTime });
    await clock.start();
    console.log(
      `Mining a block every ${args.blockTime} ms on ${"url" in hre.network.config ? hre.network.config.url : "localhost"}; Ctrl-C stops.`,
    );
    let shown = 0;
    clock.onBlock((block) => {
      if (block.number - shown >= 25) {
        shown = block.number;
        console.log(`block ${block.number} at ${new Date(block.timestampMs).toISOString()} (timestamp ${block.timestamp})`);
      }
    });
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await clock.stop();
    const { blocks, lateBlocks, maxLatenessMs } = clock.stats;
    console.log(
      `Stopped after ${blocks} blocks (${lateBlocks} more than one block late, worst ${maxLatenessMs} ms); automine is on again.`,
    );
  });
