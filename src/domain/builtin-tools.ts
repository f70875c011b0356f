/**
 * Names of the builtin tools (implemented in src/tools/builtin/). A fact of the product that
 * several layers need: the config loader and `caxton validate` accept agents naming these without a
 * file in `config/tools/`, the catalog checks user agents' references against them, and the builtin
 * ToolSet implements exactly these.
 */
export const BUILTIN_TOOL_NAMES = [
  'calculator',
  'current_time',
  'http_fetch',
  'memory_get',
  'memory_set',
  'memory_search',
  'memory_store',
  'web_search',
] as const;

/** One builtin tool name. */
export type BuiltinToolName = (typeof BUILTIN_TOOL_NAMES)[number];
