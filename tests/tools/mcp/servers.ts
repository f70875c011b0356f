/**
 * The real MCP servers from npm (dev dependencies) as config entries, for unit and e2e tests:
 * `@modelcontextprotocol/server-everything`, `-filesystem` and `-memory`, run with this Node, and our
 * own resource hog.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { encode } from '@toon-format/toon';

const require = createRequire(import.meta.url);

/** Entry scripts of the three servers. */
export const SERVER_SCRIPTS = {
  everything: require.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
  filesystem: require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js'),
  memory: require.resolve('@modelcontextprotocol/server-memory/dist/index.js'),
  /** Our own test server whose tools use memory and CPU on purpose (tests/tools/mcp/fixtures/hog-server.mjs). */
  hog: fileURLToPath(new URL('./fixtures/hog-server.mjs', import.meta.url)),
};

/** `config/mcps/NAME.toon` text for a stdio server running `script` with `args` under this Node. */
export function stdioToon(name: string, script: string, args: string[] = [], extra: Record<string, unknown> = {}): string {
  return encode({ name, enabled: true, command: process.execPath, args: [script, ...args], timeout_secs: 20, ...extra });
}

/** `config/mcps/NAME.toon` text for a Streamable HTTP server at `url`. */
export function httpToon(name: string, url: string, extra: Record<string, unknown> = {}): string {
  return encode({ name, enabled: true, url, timeout_secs: 20, ...extra });
}
