/**
 * THE table of flash-lender plug-ins. The engine offers the strategy every lender the network's address
 * book has; nothing else in the keeper names a lender. Adding one: keeper/flash/README.md.
 */
import { aaveV3Lender } from "./aave-v3/plugin";
import { balancerV2Lender } from "./balancer-v2/plugin";
import type { FlashLenderPlugin } from "./flash-lender";
import { morphoBlueLender } from "./morpho-blue/plugin";
import { uniswapV3Lender } from "./uniswap-v3/plugin";

export const FLASH_LENDERS: readonly FlashLenderPlugin[] = [balancerV2Lender, morphoBlueLender, aaveV3Lender, uniswapV3Lender];
