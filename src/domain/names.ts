/**
 * Entity names and ids (SPEC §3: `^[A-Za-z][A-Za-z0-9_-]{0,63}$`, unique per tier and kind).
 */
import { randomUUID } from 'node:crypto';

/** The name rule of SPEC §3. Names are also used in URLs and file names, so no dots or slashes. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** True when `name` is a valid entity name. */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** A new random id with a readable prefix, e.g. `conv_1f0c…` (prefix + 32 hex chars). */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}
