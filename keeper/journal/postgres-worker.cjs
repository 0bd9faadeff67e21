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
 * a transaction — SIGSTOP, a stalled machine — loses its session, so its locks are released). A client
 * whose connection failed is dropped, and the next request connects again.
 */
const { runAsWorker } = require("synckit");
const { Client, types } = require("pg");

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

/** @type {Map<string, { options: any, client: import("pg").Client | null }>} */
const connections = new Map();

/** @param {{ options: any, client: import("pg").Client | null }} connection */
async function clientOf(connection) {
  if (connection.client !== null) return connection.client;
  const { options } = connection;
  const client = new Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    query_timeout: options.queryTimeoutMs,
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

/** An error the server reported for a statement (it has a SQLSTATE): the connection itself is fine. */
function isStatementError(error) {
  return typeof error?.code === "string" && /^[0-9A-Z]{5}$/.test(error.code);
}

/** @param {any} request */
async function handle(request) {
  if (request.op === "open") {
    const connection = { options: request.options, client: null };
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
  try {
    const client = await clientOf(connection);
    const result = request.op === "exec" ? await client.query(request.sql) : await client.query(request.sql, request.params);
    // A multi-statement script answers with one result per statement.
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
  } catch (error) {
    if (isStatementError(error) && !isConnectionLoss(error)) throw error;
    // A lost or timed-out connection is of no use now (its transaction, if any, is gone): start afresh next time.
    // The main thread is told the DATABASE is away (not that a statement failed), so it stops waiting on it.
    reset(connection);
    throw new Error(`${UNREACHABLE} ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The prefix postgres-connection.ts recognises: the database, not a statement, failed. */
const UNREACHABLE = "database unreachable:";

/** SQLSTATE class 08 (connection exception), 57P01-57P03 (shut down, crashed, not accepting connections yet). */
function isConnectionLoss(error) {
  return /^08/.test(error.code) || /^57P0[123]$/.test(error.code);
}

runAsWorker(handle);
