/**
 * Every task Chimera registers. hardhat.config.ts imports this file only; each domain file
 * registers its own tasks and does no work at import time.
 */
import "./offline-solc";
import "./aave-origin-compile";
import "./typechain-freshness";
import "./report";
import "./journal-migrate";
import "./daily";
import "./keeper-control";
import "./rotate-key";
import "./sandbox";
import "./clock";
import "./admin";
import "./ownership";
import "./withdraw";
import "./status";
import "./emergency";
import "./verify";
import "./ignition-deploy";
import "./keeper";
