/**
 * Names of MCP tools (SPEC §7). Configs and permissions use `server.tool` (`everything.echo`,
 * `everything.*`); the model is offered `server__tool` (`everything__echo`), which OpenAI requires to
 * match `^[a-zA-Z0-9_-]{1,64}$`. MCP tool names may be longer or use other characters (`.`, `/`,
 * spaces), so those get a deterministic, collision-resistant form: the sanitised name cut to 55
 * characters plus `_` and 8 hex digits of the SHA-256 of `server.tool`.
 */
import { createHash } from 'node:crypto';

/** What a name offered to a model must match (SPEC §7). */
export const OFFERED_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** Separator between server and tool in offered names (`everything__echo`). */
const OFFERED_SEPARATOR = '__';

/** The configured name of tool `tool` of MCP server `server`: `server.tool` (SPEC §7). */
export function qualifiedName(server: string, tool: string): string {
  return `${server}.${tool}`;
}

/**
 * The name offered to the model for tool `tool` of MCP server `server`: `server__tool` when that is
 * valid; otherwise the name with every character outside `[a-zA-Z0-9_-]` replaced by `_`, cut to 55
 * characters, plus `_` and the first 8 hex digits of sha256(`server.tool`). Pure and deterministic:
 * the same pair gives the same name in every process, and two pairs that sanitise alike still differ.
 */
export function offeredName(server: string, tool: string): string {
  const plain = `${server}${OFFERED_SEPARATOR}${tool}`;
  if (OFFERED_NAME_PATTERN.test(plain)) return plain;
  const hash = createHash('sha256').update(qualifiedName(server, tool)).digest('hex').slice(0, 8);
  return `${plain.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 55)}_${hash}`;
}

/**
 * True when the server's `tools` allowlist admits `tool`. Entries may be written as the bare MCP
 * tool name (`echo`), qualified (`everything.echo`), or `*` / `everything.*` for all; no allowlist
 * admits every tool (SPEC §3 MCP server `tools[]`).
 */
export function allowedByServer(server: string, tool: string, allowlist: readonly string[] | undefined): boolean {
  if (allowlist === undefined) return true;
  return allowlist.some((entry) => entry === tool || entry === '*' || entry === qualifiedName(server, tool) || entry === `${server}.*`);
}
