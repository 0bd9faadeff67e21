// @ts-check
/**
 * The worker thread behind PostgresConnection (postgres-connection.ts): it owns the node-postgres
 * clients, one per journal connection the main thread opens, and runs each request the main thread
 * sends through synckit, which waits for the answer with Atomics.wait. Everything here is
 * asynchronous, as `pg` is; the main thread sees it synchronously, like better-sqlite3.
 *
 * Plain CommonJS on purpose: a worker thread does not inherit the main thread's TypeScript loader, and
 * loading TypeScript into it would cost seconds at every keeper start. The protocol's types are in
 * postgres-connection.ts (WorkerRequest, QueryAnswer).
 *
 * Every client has bounds, so no call can hang the keeper: connecting (connectTimeoutMs), each query
 * on the client side (queryTimeoutMs), and on the server `statement_timeout`, `lock_timeout` (a writer
 * waiting for another's journal lock) and `idle_in_transaction_session_timeout` (a keeper frozen inside
 * a transaction — SIGSTOP, a stalled machine — loses its session, so its locks are released).
 *
 * A connection that was lost is not the database being away. A keeper stopped for a while (SIGSTOP, a stalled VM)
 * comes back to sessions the server ended, or to sockets a host or NAT forgot, and learns it only when it uses one.
 * So a statement outside a transaction that meets a lost connection it had been holding is run once more on a new
 * one, and only if THAT fails is the database reported unreachable ("database unreachable:", which the main thread
 * turns into fail-fast). A transaction is never continued on a new session (its first half died with the old one,
 * rolled back by the server): its statements fail with "connection lost:" until the main thread's ROLLBACK, and the
 * transaction's caller sees an ordinary error, not an outage, as long as a new connection can be made.
 */
const { runAsWorker } = require("synckit");
const { Client, types } = require("pg");

/** The prefix postgres-connection.ts recognises: the database, not a statement, failed. */
const UNREACHABLE = "database unreachable:";
/** The prefix of "this session was lost, the database answers": the transaction it held is gone, nothing more. */
const LOST = "connection lost:";
const QUERY_TIMEOUT = "Query read timeout";

/** BIGINT (int8, OID 20) arrives as text; the journal's are milliseconds, blocks, ids and nonces: safe integers. */
const INT8_OID = 20;
/** @param {string} text */
const parseInt8 = (text) => {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
};
const typeParsers = {
  /** @type {(oid: number, format?: any) => any} */
  getTypeParser: (oid, format) => (oid === INT8_OID ? parseInt8 : types.getTypeParser(oid, format)),
};

/**
 * @typedef {{ options: any, client: import("pg").Client | null, transaction: { client: import("pg").Client | null } | null }} Connection
 * `transaction` is set from BEGIN to COMMIT/ROLLBACK, with the client (session) that began it.
 */
/** @type {Map<string, Connection>} */
const connections = new Map();

/** @param {Connection} connection */
async function clientOf(connection) {
  if (connection.client !== null) return connection.client;
  const { options } = connection;
  const client = new Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    lock_timeout: options.lockTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
    application_name: "chimera-keeper",
    keepAlive: true,
    types: /** @type {any} */ (typeParsers),
  });
  // A connection that drops between requests must not crash the worker: forget it, reconnect next time.
  client.on("error", () => {
    if (connection.client === client) connection.client = null;
  });
  try {
    await client.connect();
    if (options.readonly) await client.query("SET default_transaction_read_only = on");
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  connection.client = client;
  return client;
}

/** Ending the socket ends the session: the server rolls back whatever transaction it had open. */
function reset(connection) {
  const client = connection.client;
  connection.client = null;
  if (client !== null) void client.end().catch(() => undefined);
}

/**
 * The statement on `client`, bounded by queryTimeoutMs on this side. Not node-postgres's own query_timeout: after this
 * process was stopped, every timer fires the moment it resumes, while the answer may already wait in the socket. So
 * when the time is up, one more turn of the event loop reads what the socket holds before the statement is given up.
 * @param {import("pg").Client} client @param {any} request @param {number} timeoutMs
 */
async function run(client, request, timeoutMs) {
  const query = request.op === "exec" ? client.query(request.sql) : client.query(request.sql, request.params);
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const expired = new Promise((_resolve, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new Error(QUERY_TIMEOUT))), timeoutMs);
  });
  try {
    const result = /** @type {any} */ (await Promise.race([query, expired]));
    // A multi-statement script answers with one result per statement.
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
  } finally {
    clearTimeout(timer);
  }
}

/** An error the server reported for a statement (it has a SQLSTATE): the connection itself is fine. */
function isStatementError(error) {
  return typeof error?.code === "string" && /^[0-9A-Z]{5}$/.test(error.code) && !isConnectionLoss(error);
}

/**
 * SQLSTATE class 08 (connection exception), 57P01-57P03 (shut down, crashed, not accepting connections yet), 25P03 and
 * 57P05 (the server ended a session idle too long, in a transaction or not): the session is gone.
 */
function isConnectionLoss(error) {
  return /^08/.test(error.code) || /^57P0[1235]$/.test(error.code) || error.code === "25P03";
}

/** BEGIN, COMMIT and ROLLBACK as the main thread sends them (exactly these words); anything else is null. */
function controlOf(request) {
  if (request.op !== "exec") return null;
  const word = request.sql.trim().toUpperCase();
  return word === "BEGIN" || word === "COMMIT" || word === "ROLLBACK" ? word : null;
}

const message = (error) => (error instanceof Error ? error.message : String(error));
const EMPTY = { rows: [], rowCount: 0 };

/**
 * Outside a transaction (BEGIN included): on a lost connection this process had been holding, once more on a new one.
 * A timeout is not retried: the database that let a statement run out its time gets no second wait.
 * @param {Connection} connection @param {any} request
 */
async function outsideTransaction(connection, request) {
  const begins = controlOf(request) === "BEGIN";
  // A BEGIN while one is open: the main thread gave that transaction up without reaching the worker (its database was
  // away). Its session goes, and the server rolls it back.
  if (connection.transaction !== null) {
    connection.transaction = null;
    reset(connection);
  }
  const held = connection.client !== null;
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await clientOf(connection);
      const answer = await run(client, request, connection.options.queryTimeoutMs);
      if (begins) connection.transaction = { client };
      return answer;
    } catch (error) {
      if (isStatementError(error)) throw error;
      // A lost or timed-out connection is of no use now: start afresh next time.
      reset(connection);
      if (attempt === 1 && held && message(error) !== QUERY_TIMEOUT) continue;
      // The main thread is told the DATABASE is away (not that a statement failed), so it stops waiting on it.
      throw new Error(`${UNREACHABLE} ${message(error)}`);
    }
  }
}

/**
 * Inside a transaction: only on the session that began it. When that session is gone, the transaction is too; a
 * ROLLBACK of it is done already, anything else fails — as a lost connection while a new one can be made, as the
 * database being unreachable when it cannot.
 * @param {Connection} connection @param {any} request
 */
async function insideTransaction(connection, request) {
  const control = controlOf(request);
  const transaction = /** @type {{ client: import("pg").Client | null }} */ (connection.transaction);
  if (control === "COMMIT" || control === "ROLLBACK") connection.transaction = null;
  if (transaction.client === null || transaction.client !== connection.client) {
    if (control === "ROLLBACK") return EMPTY;
    throw await lost(connection, "its session ended before this statement");
  }
  try {
    return await run(transaction.client, request, connection.options.queryTimeoutMs);
  } catch (error) {
    if (isStatementError(error)) throw error;
    transaction.client = null;
    reset(connection);
    if (control === "ROLLBACK") return EMPTY;
    if (message(error) === QUERY_TIMEOUT) throw new Error(`${UNREACHABLE} ${message(error)}`);
    const cause =
      control === "COMMIT" ? `the session was lost during COMMIT, which may or may not have committed (${message(error)})` : message(error);
    throw await lost(connection, cause);
  }
}

/** The error for a transaction whose session is gone: "lost" when a new connection can be made, else "unreachable". */
async function lost(connection, cause) {
  try {
    await clientOf(connection);
  } catch (error) {
    return new Error(`${UNREACHABLE} ${message(error)}`);
  }
  return new Error(`${LOST} the transaction's session was lost (${cause}); the server rolled back what it had not committed`);
}

/** @param {any} request */
async function handle(request) {
  if (request.op === "open") {
    /** @type {Connection} */
    const connection = { options: request.options, client: null, transaction: null };
    connections.set(request.connection, connection);
    await clientOf(connection);
    return null;
  }
  const connection = connections.get(request.connection);
  if (connection === undefined) throw new Error(`journal connection ${request.connection} is not open`);
  if (request.op === "reset") {
    reset(connection);
    return null;
  }
  if (request.op === "close") {
    connections.delete(request.connection);
    reset(connection);
    return null;
  }
  if (request.op === "ping") {
    // A new session answering: the database is there (after a call that outlived a stop of this process).
    reset(connection);
    try {
      await run(await clientOf(connection), { op: "exec", sql: "SELECT 1" }, connection.options.queryTimeoutMs);
    } catch (error) {
      reset(connection);
      throw new Error(`${UNREACHABLE} ${message(error)}`);
    }
    return null;
  }
  // A transaction the main thread gave up while its ROLLBACK could not reach here (its database was away, so it failed
  // fast): the session that held it goes, and the server rolls it back.
  if (connection.transaction !== null && request.inTransaction !== true && controlOf(request) === null) {
    connection.transaction = null;
    reset(connection);
  }
  if (connection.transaction !== null && controlOf(request) !== "BEGIN") return insideTransaction(connection, request);
  return outsideTransaction(connection, request);
}

runAsWorker(handle);
