/**
 * Entity names and ids (SPEC §3: `^[A-Za-z][A-Za-z0-9_-]{0,63}$`, unique per tier and kind).
 */
import { randomUUID } from 'node:crypto';

/** The name rule of SPEC §3. Names are also used in URLs and file names, so no dots or slashes. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * A user handle: lowercase letter first, then lowercase letters, digits, `_` or `-`, at most 32
 * characters. Handles are unique and name a user in qualified names (`OWNER/NAME`, SPEC §4).
 */
export const HANDLE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** The longest handle HANDLE_PATTERN allows (characters). */
export const HANDLE_MAX = 32;

/**
 * A name as callers write it (SPEC §4): bare (`helper`: the caller's own entity, else the system
 * tier's) or qualified (`bob/helper`: the public entity `helper` of the user whose handle is `bob`).
 */
export interface EntityRef {
  name: string;
  /** The owner's handle, only when the name was qualified. */
  owner?: string;
}

/**
 * Split `OWNER/NAME` into its parts; a name without `/` is bare. Returns undefined when either part
 * breaks its pattern (HANDLE_PATTERN, NAME_PATTERN), so malformed names simply resolve to nothing.
 */
export function parseEntityRef(ref: string): EntityRef | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return NAME_PATTERN.test(ref) ? { name: ref } : undefined;
  const owner = ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  return HANDLE_PATTERN.test(owner) && NAME_PATTERN.test(name) ? { owner, name } : undefined;
}

/** `OWNER/NAME`: how a community entity is named for everyone but its owner. */
export const qualifiedName = (owner: string, name: string): string => `${owner}/${name}`;

/**
 * The handle a new user gets from their email (SPEC §4): the lowercased local part with every
 * character HANDLE_PATTERN does not allow turned into `-`, runs of `-` collapsed, leading
 * non-letters and trailing `-` dropped, cut to HANDLE_MAX characters; `user` when nothing is left.
 */
export function handleFromEmail(email: string): string {
  const local = email.slice(0, email.includes('@') ? email.lastIndexOf('@') : email.length).toLowerCase();
  const cleaned = local
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, HANDLE_MAX)
    .replace(/-+$/, '');
  return cleaned || 'user';
}

/**
 * The first of `base`, `base2`, `base3`, ... that `taken` does not report, each cut so the whole
 * stays within HANDLE_MAX characters.
 */
export function uniqueHandle(base: string, taken: (handle: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = String(n);
    const candidate = `${base.slice(0, HANDLE_MAX - suffix.length)}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}

/** A new random id with a readable prefix, e.g. `conv_1f0c…` (prefix + 32 hex chars). */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}
