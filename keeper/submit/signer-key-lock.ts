/**
 * One writer per key: a lock file that a second keeper on the same key (and chain) respects. Two
 * processes handing out nonces for one key would replace each other's transactions or burn fees on
 * "nonce too low"; the lock makes the second one refuse to start instead.
 *
 * The file is created with O_EXCL (atomic on local file systems) and holds the owner's pid, host
 * and start time. A lock left by a process that died (SIGKILL, power loss) is stale: if it was
 * written on this host and its pid is gone, it is reclaimed. A lock from another host cannot be
 * checked and is always respected; the error says how to clear it by hand.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO-8601 time the holder took the lock. */
  readonly startedAt: string;
  readonly address: string;
  readonly chainId: number;
}

export interface SignerKeyLockOptions {
  /** Directory for lock files; the journal's directory, so a keeper's state lives in one place. */
  readonly directory: string;
  readonly chainId: number;
  readonly address: string;
  /** Injected for tests; defaults to a `kill(pid, 0)` probe. */
  readonly isProcessAlive?: (pid: number) => boolean;
  readonly now?: () => Date;
}

/** Abbreviates an address for messages: 0xf39F…2266. */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

export class SignerKeyLockedError extends Error {
  override readonly name = "SignerKeyLockedError";
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host === os.hostname() ? "" : ` on host ${holder.host}`;
    super(
      `another keeper (pid ${holder.pid}${where}, since ${holder.startedAt}) holds the key ${shortAddress(holder.address)} ` +
        `lock at ${lockPath}; stop that keeper first, or delete the file if that process is gone`,
    );
  }
}

function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user — alive all the same.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(text: string, lockPath: string): LockHolder {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === "number" && typeof value.host === "string" && typeof value.startedAt === "string") {
      return {
        pid: value.pid,
        host: value.host,
        startedAt: value.startedAt,
        address: String(value.address ?? "unknown"),
        chainId: Number(value.chainId ?? 0),
      };
    }
  } catch {
    // fall through
  }
  throw new Error(`lock file ${lockPath} is not a keeper lock (expected JSON with pid, host, startedAt); inspect and delete it by hand`);
}

export class SignerKeyLock {
  #released = false;
  readonly #exitHook: () => void;

  private constructor(
    readonly path: string,
    readonly holder: LockHolder,
  ) {
    // A clean exit (including process.exit) removes the lock; a crash leaves it stale, which the
    // next start detects by the dead pid.
    this.#exitHook = () => this.release();
    process.once("exit", this.#exitHook);
  }

  /** Takes the lock or throws `SignerKeyLockedError` naming the holder. Synchronous: start-up only. */
  static acquire(options: SignerKeyLockOptions): SignerKeyLock {
    const isProcessAlive = options.isProcessAlive ?? defaultIsProcessAlive;
    const now = options.now ?? (() => new Date());
    fs.mkdirSync(options.directory, { recursive: true });
    const lockPath = path.join(options.directory, `signer-${options.chainId}-${options.address.toLowerCase()}.lock`);
    const holder: LockHolder = {
      pid: process.pid,
      host: os.hostname(),
      startedAt: now().toISOString(),
      address: options.address,
      chainId: options.chainId,
    };
    const content = JSON.stringify(holder);

    // Two rounds: the second runs only after a stale lock was removed.
    for (let round = 0; round < 2; round++) {
      try {
        const fd = fs.openSync(lockPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
        try {
          fs.writeSync(fd, content);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        return new SignerKeyLock(lockPath, holder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const existingText = fs.readFileSync(lockPath, "utf8");
      const existing = parseHolder(existingText, lockPath);
      const stale = existing.host === holder.host && !isProcessAlive(existing.pid);
      if (!stale) throw new SignerKeyLockedError(lockPath, existing);
      // Re-read just before removing, so a lock another starter took over in the meantime is not deleted.
      if (fs.readFileSync(lockPath, "utf8") === existingText) fs.unlinkSync(lockPath);
    }
    throw new SignerKeyLockedError(lockPath, parseHolder(fs.readFileSync(lockPath, "utf8"), lockPath));
  }

  get released(): boolean {
    return this.#released;
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    process.removeListener("exit", this.#exitHook);
    try {
      const current = parseHolder(fs.readFileSync(this.path, "utf8"), this.path);
      if (current.pid === this.holder.pid && current.startedAt === this.holder.startedAt && current.host === this.holder.host) {
        fs.unlinkSync(this.path);
      }
    } catch {
      // Already gone or replaced by hand: nothing of ours to remove.
    }
  }
}
