/**
 * Whether the keeper's key can do its job on the executor right now: the executor is a ChimeraExecutor,
 * the key is one of its operators, it is not paused, and its owner and treasury are sane for a hot key
 * (neither is the key itself, the treasury is not the executor). Read with five plain eth_calls through
 * the executor's TypeChain interface (passed in, so this file loads before anything is compiled).
 *
 * A key that is not an operator would see every plan fail `CallerNotOperator`; nothing else would say so.
 * `ExecutorRoleWatch` (executor-role-watch.ts) runs this at start-up and on every role-change event.
 */
import { getAddress, ZeroAddress, type Interface } from "ethers";

/** What `eth_call` needs; an ethers Provider satisfies it. */
export interface CallReader {
  call(tx: { to: string; data: string }): Promise<string>;
}

export interface ExecutorRoles {
  readonly owner: string;
  readonly pendingOwner: string;
  readonly treasury: string;
  readonly paused: boolean;
  /** Null when there is no key (and no operator address) to check. */
  readonly signerIsOperator: boolean | null;
}

/** The address holds code that does not answer the ChimeraExecutor's views. */
export class NotAChimeraExecutorError extends Error {
  constructor(
    readonly address: string,
    readonly unanswered: readonly string[],
  ) {
    super(
      `${getAddress(address)} is not a ChimeraExecutor: it holds code but does not answer ${unanswered.join(", ")} as the executor does. ` +
        `Check the address (--executor, the config's "executor", or the Ignition deployment record) and --network.`,
    );
    this.name = "NotAChimeraExecutorError";
  }
}

/**
 * A revert or an empty/garbled answer means "not this contract"; any other failure (an endpoint down) is
 * rethrown. ethers reports reverts as CALL_EXCEPTION; Hardhat's provider as a plain "…reverted…" error.
 */
function isNotAnswered(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (code === "CALL_EXCEPTION" || code === "BAD_DATA") return true;
  return /revert/i.test((error as { message?: unknown }).message as string);
}

/**
 * Reads the executor's roles. Throws NotAChimeraExecutorError when `executor` does not answer like one
 * (an EOA's empty code answers every call with nothing, which is caught the same way).
 */
export async function readExecutorRoles(
  reader: CallReader,
  executorInterface: Interface,
  executor: string,
  signer: string | null,
): Promise<ExecutorRoles> {
  const ask = async (name: string, args: readonly unknown[] = []): Promise<unknown> => {
    try {
      const data = executorInterface.encodeFunctionData(name, args);
      const answer = await reader.call({ to: executor, data });
      return executorInterface.decodeFunctionResult(name, answer)[0] as unknown;
    } catch (error) {
      if (isNotAnswered(error)) return NOT_ANSWERED;
      throw error;
    }
  };
  const [owner, pendingOwner, treasury, paused, isOperator] = await Promise.all([
    ask("owner"),
    ask("pendingOwner"),
    ask("treasury"),
    ask("paused"),
    ask("isOperator", [signer ?? ZeroAddress]),
  ]);
  const answers = {
    "owner()": owner,
    "pendingOwner()": pendingOwner,
    "treasury()": treasury,
    "paused()": paused,
    "isOperator(address)": isOperator,
  };
  const unanswered = Object.entries(answers)
    .filter(([, value]) => value === NOT_ANSWERED)
    .map(([name]) => name);
  if (unanswered.length > 0) throw new NotAChimeraExecutorError(executor, unanswered);
  return {
    owner: getAddress(owner as string),
    pendingOwner: getAddress(pendingOwner as string),
    treasury: getAddress(treasury as string),
    paused: paused as boolean,
    signerIsOperator: signer === null ? null : (isOperator as boolean),
  };
}

const NOT_ANSWERED = Symbol("not answered");

/**
 * Why this key cannot (or must not) run liquidations through this executor; empty = fine. Each entry
 * names the address involved and what to do.
 */
export function executorRoleProblems(roles: ExecutorRoles, executor: string, signer: string | null): string[] {
  const problems: string[] = [];
  const executorAddress = getAddress(executor);
  if (signer !== null && roles.signerIsOperator === false) {
    problems.push(
      `the signing key ${getAddress(signer)} is not an operator of executor ${executorAddress}: every liquidation would revert ` +
        `CallerNotOperator. Use the operator's key, or let the owner add it (npx hardhat set-operator --operator ${getAddress(signer)})`,
    );
  }
  if (roles.paused)
    problems.push(`executor ${executorAddress} is paused: liquidations revert until the owner runs \`npx hardhat unpause\``);
  if (signer !== null && roles.owner === getAddress(signer)) {
    problems.push(
      `the signing key ${getAddress(signer)} is the executor's owner: a hot key on a running machine must not own the executor (transfer ownership to a Safe or a cold key)`,
    );
  }
  if (signer !== null && roles.treasury === getAddress(signer)) {
    problems.push(
      `the executor's treasury is the signing key ${getAddress(signer)} itself: profits would sit on the hot key (set a separate treasury: npx hardhat set-treasury)`,
    );
  }
  if (roles.treasury === executorAddress) problems.push(`the executor's treasury is the executor ${executorAddress} itself`);
  return problems;
}
