/**
 * How the task tests expect a refusal: the promise rejects, its message matches, and the message comes back for the
 * checks a pattern cannot make (an address it names, what it must not print).
 */

/** Expects `promise` to reject with a message matching `pattern`; returns the message. */
export async function rejection(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const message = (error as Error).message;
    if (!pattern.test(message)) throw new Error(`rejected with "${message}", expected ${pattern}`);
    return message;
  }
  throw new Error(`expected a rejection matching ${pattern}, but it resolved`);
}
