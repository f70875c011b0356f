/**
 * The structured log as the layers use it (pino's `Logger` fits): JSON lines whose fields name what
 * they are about. A request's lines carry `request_id` and `component: "api"`, a run's lines
 * `execution_id`, `agent` and `component: "runtime"` (STORY-021 correlated logs); `child` adds such
 * fields to every line of the logger it returns. The daemon constructs the one root logger
 * (src/daemon/logger.ts) and hands children down through the request context and the run request.
 */
export interface Log {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  /** A logger whose every line also carries `bindings` (e.g. `{request_id}`). */
  child(bindings: Record<string, unknown>): Log;
}

/** A Log that writes nothing (a runtime or app built without a logger, as in unit tests). */
export const SILENT_LOG: Log = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT_LOG };
