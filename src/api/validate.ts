/** Request body parsing with zod: malformed JSON or invalid fields -> 400 with per-field details. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { DomainError } from '../domain/errors.js';

/**
 * Parse the JSON body of `c` with `schema`.
 * @throws DomainError BAD_REQUEST for malformed JSON (with the parser's message) or invalid fields
 *   (one detail per field: `field`, `message`).
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (err) {
    throw new DomainError('BAD_REQUEST', `request body is not valid JSON: ${(err as Error).message}`);
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const details = result.error.issues.map((i) => ({
      field: i.path.join('.') || '(body)',
      message: i.message,
      ...(i.code === 'unrecognized_keys' ? { code: 'E_UNKNOWN_FIELD' } : {}),
    }));
    throw new DomainError('BAD_REQUEST', `invalid request body: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
  }
  return result.data;
}
