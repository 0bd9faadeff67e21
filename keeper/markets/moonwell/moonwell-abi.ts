/**
 * The interfaces the Moonwell plug-in encodes and decodes with, all from TypeChain: Moonwell's from
 * contracts/interfaces/IMoonwell*.sol, the OEV wrapper's included (Moonwell ships no artifact on npm, so those files are the one
 * place its ABI is written down), ERC-20 metadata from OpenZeppelin, Chainlink's proxy from
 * contracts/interfaces/IChainlinkFeedProxy.sol.
 */
import {
  IChainlinkFeedProxy__factory,
  IERC20Metadata__factory,
  IMoonwellComptroller__factory,
  IMoonwellMToken__factory,
  IMoonwellOevWrapper__factory,
  IMoonwellOracle__factory,
} from "../../../typechain-types";

export const COMPTROLLER = IMoonwellComptroller__factory.createInterface();
export const MTOKEN = IMoonwellMToken__factory.createInterface();
export const ORACLE = IMoonwellOracle__factory.createInterface();
export const ERC20_METADATA = IERC20Metadata__factory.createInterface();
export const CHAINLINK_FEED = IChainlinkFeedProxy__factory.createInterface();
export const OEV_WRAPPER = IMoonwellOevWrapper__factory.createInterface();
