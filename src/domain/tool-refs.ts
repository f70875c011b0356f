/**
 * Tool references (SPEC §7): how an agent's `tools[]` and `[tools] deny` of ares.toml name tools.
 * `calculator` is a tool by name (builtin, config/tools/, or the user's own); `server.tool` is one tool
 * of MCP server `server`; `server.*` is every tool of that server. The server name ends at the first
 * dot; a reference with no character before or after that dot is a plain tool name.
 */

/** A parsed tool reference: `server` only for MCP references; `tool` is `*` for a whole server. */
export interface ToolRef {
  /** The MCP server, for `server.tool` and `server.*`; absent for a plain tool name. */
  server?: string;
  /** The tool name (for MCP references, the server's own tool name), or `*` for every tool of `server`. */
  tool: string;
}

/** Parse one tool reference (never throws; every string is some reference). */
export function parseToolRef(ref: string): ToolRef {
  const dot = ref.indexOf('.');
  if (dot <= 0 || dot === ref.length - 1) return { tool: ref };
  return { server: ref.slice(0, dot), tool: ref.slice(dot + 1) };
}

/** The distinct MCP server names that `refs` refer to (`server.tool`, `server.*`), in first-seen order. */
export function serversOf(refs: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const ref of refs) {
    const { server } = parseToolRef(ref);
    if (server !== undefined) out.add(server);
  }
  return [...out];
}
