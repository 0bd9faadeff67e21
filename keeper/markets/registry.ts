/**
 * THE table of lending-market plug-ins. The config schema (`markets.<name>`), each network's defaults
 * and `createMarkets` are built from it; nothing else in the keeper names a lending protocol. Adding a
 * protocol: its folder next to these, one line here (keeper/markets/README.md, "Adding a market").
 */
import { aaveV3Plugin } from "./aave-v3/plugin";
import type { MarketPlugin } from "./market-plugin";
import { moonwellPlugin } from "./moonwell/plugin";
import { morphoBluePlugin } from "./morpho-blue/plugin";

export const MARKET_PLUGINS: readonly MarketPlugin[] = [aaveV3Plugin, morphoBluePlugin, moonwellPlugin];
