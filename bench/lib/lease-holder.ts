/**
 * The failover benchmark's leader (bench/failover.ts): a separate process that takes the journal's leader
 * lease with the keeper's own Leadership, renews it on its timer, prints "leading", and runs until it is
 * killed. Arguments: <journal url> <lease ms> <refresh ms>.
 */
import { Leadership } from "../../keeper/engine/leadership";
import { Journal } from "../../keeper/journal/journal";
import { createLogger } from "../../keeper/telemetry/logger";

const [url, leaseMs, refreshMs] = process.argv.slice(2);
if (url === undefined || leaseMs === undefined || refreshMs === undefined)
  throw new Error("usage: lease-holder <journal url> <lease ms> <refresh ms>");
const leadership = new Leadership({
  journal: Journal.open(url),
  leaseMs: Number(leaseMs),
  refreshMs: Number(refreshMs),
  logger: createLogger({ level: "silent" }),
});
if (!leadership.tryAcquire()) {
  console.log("refused: another instance holds the lease");
  process.exit(1);
}
leadership.start();
console.log("leading");
// The renewal timer is unref'd: keep the process alive until it is killed.
setInterval(() => undefined, 60_000);
