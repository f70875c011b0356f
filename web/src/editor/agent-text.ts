/**
 * An agent definition as text and back, in the formats the API takes (TOON, TOML, JSON): the
 * agent editor rewrites its text from the form and refills the form from the text with these. There
 * is no validation here: the daemon validates (`POST /api/agents/import?dry_run=true`) and says where.
 * Loaded with the editor page's chunk only.
 */
import { decode as decodeToon, encode as encodeToon } from '@toon-format/toon';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import type { Format } from './code';

/** An agent definition as parsed from its text: the keys of the agent file, unchecked. */
export type Agent = Record<string, unknown>;

/** Content type of each format, as the API takes them. */
export const TYPES: Record<Format, string> = { toon: 'text/x-toon', toml: 'application/toml', json: 'application/json' };

/** The definition a new agent starts from. */
export const NEW_AGENT: Agent = { name: 'my-agent', description: 'What this agent is for', system_prompt: 'You are a helpful assistant.', tools: [] };

/** `agent` written as text in `format` (ending in a newline for TOON and JSON). */
export function write(agent: Agent, format: Format): string {
  if (format === 'toon') return `${encodeToon(agent)}\n`;
  if (format === 'toml') return stringifyToml(agent);
  return `${JSON.stringify(agent, null, 2)}\n`;
}

/** The text as an object, or undefined while it does not parse (the daemon then says where). */
export function read(text: string, format: Format): Agent | undefined {
  try {
    const v = format === 'toon' ? decodeToon(text) : format === 'toml' ? parseToml(text) : JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Agent) : undefined;
  } catch {
    return undefined;
  }
}

/** `agent` with `key` set to `value`, or without it when `value` is empty (an empty `tools` list is kept). */
export function withField(agent: Agent, key: string, value: unknown): Agent {
  const next = { ...agent };
  if (value === '' || value === undefined || (Array.isArray(value) && value.length === 0 && key !== 'tools')) delete next[key];
  else next[key] = value;
  return next;
}

/** The string at `key`, or '' when it is absent or not a string. */
export function str(agent: Agent, key: string): string {
  return typeof agent[key] === 'string' ? (agent[key] as string) : '';
}

/** The list at `key`, or [] when it is absent or not a list. */
export function list(agent: Agent, key: string): string[] {
  return Array.isArray(agent[key]) ? (agent[key] as string[]) : [];
}
