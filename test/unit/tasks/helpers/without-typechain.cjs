// Preloaded (node -r) into a child Hardhat to play a fresh clone: every require of typechain-types/
// fails as it does before the first compile, naming the chain of modules that asked for it.
const Module = require("node:module");

const resolve = Module._resolveFilename;
const load = Module._load;
const loading = [];

Module._load = function (request, ...rest) {
  loading.push(request);
  try {
    return load.call(this, request, ...rest);
  } finally {
    loading.pop();
  }
};

Module._resolveFilename = function (request, ...rest) {
  if (/(^|\/)typechain-types(\/|$)/.test(request)) {
    const chain = loading.filter((name) => name.startsWith(".")).join(" > ");
    const error = new Error(`typechain-types/ does not exist yet (fresh clone); required through ${chain}`);
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
