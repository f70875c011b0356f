/** Request body parsing with zod: malformed JSON or invalid fields -> 400 with per-field details. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { DomainError, type ErrorDetail } from '../domain/errors.js';

/** Turn zod issues into located details: `field` (dotted path), `message`, and a code for unknown fields. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  return issues.map((i) => {
    const base = i.path.join('.');
    if (i.code === 'unrecognized_keys') {
      const keys = i.keys.map((k) => (base ? `${base}.${k}` : k));
      return { code: 'E_UNKNOWN_FIELD', field: keys.join(', '), message: `unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}` };
    }
    return { field: base || '(body)', message: i.message };
  });
}

/**
 * Validate `value` with `schema`.
 * @throws DomainError BAD_REQUEST with one detail per problem.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues);
  throw new DomainError('BAD_REQUEST', `invalid ${what}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
}

/**
 * Offset of a JSON.parse error in `text`: V8 says either `at position N` or `Unexpected token 'c',
 * ..."context" is not valid JSON` (the context starts 10 characters before the token when elided).
 */
function jsonErrorOffset(text: string, message: string): number | undefined {
  const pos = /position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  const m = /Unexpected token '(.)', (\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON/.exec(message);
  if (!m) return undefined;
  const at = text.indexOf(m[3]!);
  if (at < 0) return undefined;
  return at + (m[2] ? 10 : Math.max(0, m[3]!.indexOf(m[1]!)));
}

/**
 * Parse the JSON body of `c` with `schema`.
 * @throws DomainError BAD_REQUEST for malformed JSON (with the parser's message and position) or
 *   invalid fields (one detail per field: `field`, `message`, `code` E_UNKNOWN_FIELD for unknown keys).
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = jsonErrorOffset(text, message);
    const detail: ErrorDetail = { code: 'E_SYNTAX', message };
    if (pos !== undefined) {
      const before = text.slice(0, pos);
      detail.line = before.split('\n').length;
      detail.col = before.length - before.lastIndexOf('\n');
    }
    throw new DomainError('BAD_REQUEST', `request body is not valid JSON: ${message}`, [detail]);
  }
  if (body === undefined) throw new DomainError('BAD_REQUEST', 'request body is empty; send a JSON object', [{ field: '(body)', message: 'required' }]);
  return validate(schema, body);
}
