/**
 * One thing that can be down (an endpoint, the keeper's loop), logged the way an operator wants an outage told: ONE
 * line when it goes down, with the cause; nothing while it stays down (failures are counted, not printed); ONE line
 * when it recovers, with how long it was down and how many failures were suppressed. A day-long outage is two lines,
 * not one stack trace every 250 ms.
 */
export interface OutageLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface OutageTransition {
  readonly subject: string;
  readonly state: "down" | "recovered";
  readonly cause: string;
  /** For "recovered": how long it was down. */
  readonly downMs?: number;
  /** For "recovered": failures after the first that were not logged. */
  readonly suppressed?: number;
}

export class OutageLog {
  #downSince: number | null = null;
  #cause = "";
  #suppressed = 0;

  constructor(
    readonly subject: string,
    private readonly logger: OutageLogger,
    private readonly clock: () => number = Date.now,
  ) {}

  get down(): boolean {
    return this.#downSince !== null;
  }

  get downSince(): number | null {
    return this.#downSince;
  }

  get cause(): string {
    return this.#cause;
  }

  get suppressed(): number {
    return this.#suppressed;
  }

  /** A failure: logged (and returned) only when it starts an outage; counted otherwise. */
  fail(cause: string): OutageTransition | null {
    if (this.#downSince !== null) {
      this.#suppressed += 1;
      return null;
    }
    this.#downSince = this.clock();
    this.#cause = cause;
    this.#suppressed = 0;
    this.logger.warn({ subject: this.subject, cause }, `${this.subject} down: ${cause}`);
    return { subject: this.subject, state: "down", cause };
  }

  /** A success: logged (and returned) only when it ends an outage. */
  recover(): OutageTransition | null {
    if (this.#downSince === null) return null;
    const downMs = this.clock() - this.#downSince;
    const transition: OutageTransition = {
      subject: this.subject,
      state: "recovered",
      cause: this.#cause,
      downMs,
      suppressed: this.#suppressed,
    };
    this.logger.info(
      { subject: this.subject, downMs, suppressed: this.#suppressed, cause: this.#cause },
      `${this.subject} recovered after ${(downMs / 1_000).toFixed(1)} s (${this.#suppressed} further failure(s) not logged)`,
    );
    this.#downSince = null;
    this.#cause = "";
    this.#suppressed = 0;
    return transition;
  }
}
