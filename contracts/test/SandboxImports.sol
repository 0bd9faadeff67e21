// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Test-only: pulls sources that ship without bytecode into the build so the sandbox can deploy them.
import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
