// solidity-coverage: measure contracts/ (ChimeraExecutor, its libraries and interfaces) only. contracts/test/ holds
// test doubles and the imports that compile genuine protocol sources (Morpho Blue, Chainlink) for the sandbox: they
// are compiled but not instrumented, so their bytecode and gas stay as shipped.
module.exports = {
  skipFiles: ["test/"],
  // The executor stays within the legacy pipeline's stack limits without the optimizer; no viaIR needed.
  configureYulOptimizer: false,
  mocha: {
    // Instrumented bytecode is slower; the property tests need the headroom.
    timeout: 600_000,
  },
};
