/** The API's dependency and environment types (kept apart from app.ts so routes can import them). */
import type { Catalog } from '../catalog/catalog.js';
import type { ConfigStatus, StatusReport } from '../domain/status.js';
import type { Runtime } from '../runtime/run.js';
import type { StoreHealth } from '../store/types.js';
import type { McpServerStatus } from '../tools/mcp/types.js';
import type { ErrorLog } from './errors.js';

/** How a request reached the daemon: the control socket acts as the local admin (SPEC §5). */
export type Transport = 'socket' | 'tcp';

/** Hono environment: bindings from the listener, variables set by middleware. */
export interface AppEnv {
  Bindings: { transport?: Transport };
  Variables: { userId: string; isAdmin: boolean };
}

/** Everything the API needs; the daemon constructs and passes these in. */
export interface AppDeps {
  catalog: Catalog;
  runtime: Runtime;
  /** Database health, for `/health`. */
  storeHealth: () => StoreHealth;
  /** Full daemon status, for `/api/status` and `caxton server status`. */
  status: () => StatusReport;
  /** Config snapshot being served and hot-reload history, for `/api/config/status`. */
  configStatus: () => ConfigStatus;
  version: string;
  startedAt: number;
  /** Request body limit in bytes (`[limits] max_body_bytes`); larger bodies get 413. */
  maxBodyBytes: number;
  log: ErrorLog;
  /** State of every MCP server the daemon uses, for `GET /api/mcp/servers` (issue 6); none when absent. */
  mcpServers?: () => McpServerStatus[];
}

