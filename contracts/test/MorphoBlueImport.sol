// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

// Test-only: compiles Morpho Blue's genuine sources (pinned to 0.8.19) so the sandbox deploys the real protocol.
import {Morpho} from "@morpho-org/morpho-blue/src/Morpho.sol";
import {IrmMock} from "@morpho-org/morpho-blue/src/mocks/IrmMock.sol";
import {OracleMock} from "@morpho-org/morpho-blue/src/mocks/OracleMock.sol";
