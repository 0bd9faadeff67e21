import type { KeeperConfig, KeeperNetwork } from "../schema";
import { baseDefaults } from "./base";
import { mainnetDefaults } from "./mainnet";
import { sandboxDefaults } from "./sandbox";

/** The complete default configuration of a network; a fresh object each call (safe to mutate). */
export function defaultsFor(network: KeeperNetwork): KeeperConfig {
  switch (network) {
    case "hardhat":
    case "localhost":
      return sandboxDefaults(network);
    case "base":
    case "baseSepolia":
      return baseDefaults(network);
    case "mainnet":
      return mainnetDefaults();
  }
}
