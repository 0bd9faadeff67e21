// ESLint for the TypeScript half of Chimera (keeper, tasks, sandbox, bench, tests). Formatting is
// Prettier's job (eslint-config-prettier turns off the rules that would fight it); solhint lints contracts/.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "artifacts/",
      "cache/",
      "typechain-types/",
      "coverage/",
      ".coverage_*/",
      "reports/",
      "data/",
      "ignition/deployments/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      // Unused names are mistakes, except the deliberate `_`-prefixed ones (ignored arguments, rest siblings).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      eqeqeq: ["error", "always"],
      "no-console": "off",
    },
  },
  {
    // Chai's `expect(x).to.be.true` is an expression statement by design.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-expressions": "off" },
  },
  {
    // CommonJS: configuration files read by tools (solidity-coverage), and the journal's PostgreSQL worker
    // thread (keeper/journal/postgres-worker.cjs), which loads without the main thread's TypeScript loader.
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // CommonJS modules Node loads itself (`node -r` preloads, worker scripts): require() is their import.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The dashboard page's script runs in the browser (served by keeper/telemetry/http-server.ts).
    files: ["keeper/telemetry/dashboard/**/*.js"],
    languageOptions: { sourceType: "script", globals: globals.browser },
  },
  prettier,
);
