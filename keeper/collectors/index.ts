/**
 * Collectors: the keeper's inputs as typed events — new heads (BlockCollector), price-feed answers
 * (OracleUpdateCollector) and protocol events (ProtocolEventCollector) — plus the chunked log fetcher
 * they and borrower discovery share.
 */
export { BlockCollector, type BlockSource, type NewHead } from "./block-collector";
export { OracleUpdateCollector } from "./oracle-update-collector";
export { ProtocolEventCollector } from "./protocol-event-collector";
export {
  DEFAULT_MAX_LOG_BLOCK_SPAN,
  fetchLogsInChunks,
  toRawLog,
  type LogChunk,
  type LogFilter,
  type LogProvider,
  type LogRangeOptions,
} from "./log-range-fetcher";
