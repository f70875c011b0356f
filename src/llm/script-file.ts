/**
 * Script files of the `scripted` provider in ares.toml (SPEC §2, §7):
 *
 * ```toml
 * [providers.script]
 * type = "scripted"
 * script = "scripts/demo.toml"   # relative to the home; .toml or .json
 * when_exhausted = "loop"        # loop (default) | error | echo
 * ```
 *
 * The file holds a list of replies, one per model request, replayed in order across every agent
 * that uses the provider. TOML: `[[replies]]` tables; JSON: `{"replies": [...]}` or a bare array.
 * A reply has `text`, `tool_calls` (`name` = the offered tool name such as `calculator` or
 * `everything__echo`, `arguments` = a table/object or JSON text, optional `id`), `usage`
 * (`input_tokens`, `output_tokens`), `delay_ms`, `finish_reason`, or `error` (the request fails with
 * that message, code PROVIDER_ERROR). The file is read once when the daemon starts.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import type { ScriptedReply } from './scripted.js';

const ToolCallSchema = z
  .object({
    id: z.string().min(1).optional(),
    name: z.string().min(1),
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).default({}),
  })
  .strict();

/** One reply of a script file. */
export const ScriptReplySchema = z
  .object({
    text: z.string().optional(),
    tool_calls: z.array(ToolCallSchema).optional(),
    usage: z
      .object({ input_tokens: z.number().int().min(0), output_tokens: z.number().int().min(0) })
      .strict()
      .optional(),
    delay_ms: z.number().int().min(0).max(600_000).optional(),
    finish_reason: z.string().min(1).optional(),
    error: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => r.text !== undefined || r.tool_calls !== undefined || r.error !== undefined, { message: 'a reply needs text, tool_calls or error' });

const ScriptSchema = z.union([z.object({ replies: z.array(ScriptReplySchema).min(1) }).strict(), z.array(ScriptReplySchema).min(1)]);

/** A script reply as written in the file. */
export type ScriptReply = z.infer<typeof ScriptReplySchema>;

/**
 * Read and validate the script at `path` (`.json`, else TOML) into provider replies.
 * @throws DomainError CONFIG_INVALID naming the file (and the first problem's place) when it is
 *   missing, unparsable, or not a list of replies.
 */
export function loadScriptFile(path: string, provider: string): ScriptedReply[] {
  const fail = (why: string) =>
    new DomainError('CONFIG_INVALID', `[providers.${provider}] script ${path}: ${why}`, [{ field: `providers.${provider}.script`, message: why }]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fail((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message);
  }
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseToml(text);
  } catch (err) {
    throw fail(`cannot parse: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = ScriptSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw fail(
      `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message} (expected a list of replies: [[replies]] in TOML, {"replies": [...]} in JSON)`,
    );
  }
  const replies = Array.isArray(parsed.data) ? parsed.data : parsed.data.replies;
  return replies.map((r) => ({
    ...(r.text !== undefined ? { text: r.text } : {}),
    ...(r.tool_calls ? { tool_calls: r.tool_calls.map((c) => ({ ...(c.id ? { id: c.id } : {}), name: c.name, arguments: c.arguments })) } : {}),
    ...(r.usage ? { usage: r.usage } : {}),
    ...(r.delay_ms !== undefined ? { delay_ms: r.delay_ms } : {}),
    ...(r.finish_reason ? { finish_reason: r.finish_reason } : {}),
    ...(r.error ? { error: new DomainError('PROVIDER_ERROR', r.error) } : {}),
  }));
}
