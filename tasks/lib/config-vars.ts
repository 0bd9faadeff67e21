/**
 * Reads a setting from the environment first, then from Hardhat's configuration variables
 * (`npx hardhat vars set NAME`). Returns undefined when neither has it, so callers decide whether
 * the setting is required; `requireSetting` gives the uniform error for when it is.
 */
import { vars } from "hardhat/config";

export function envOrVar(name: string): string | undefined {
  const fromEnv = process.env[name];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return fromEnv.trim();
  if (vars.has(name)) {
    const stored = vars.get(name).trim();
    if (stored !== "") return stored;
  }
  return undefined;
}

export function requireSetting(name: string, purpose: string): string {
  const value = envOrVar(name);
  if (value === undefined) {
    throw new Error(
      `${name} is not set; it is needed ${purpose}. Set it with \`npx hardhat vars set ${name}\` or export ${name}=... (see .env.example).`,
    );
  }
  return value;
}
