/**
 * Database URLs as they may be shown (STORY-034 external backends, DIR-12 hosted database): health, status and
 * error messages name the database without its password, and its password in every form it may be
 * written in is known so messages can be scrubbed of it. Its own module so both the backend
 * chooser (open.ts) and the PostgreSQL store use it without importing each other.
 */

/** `url` with any password removed, for health, status and messages (`postgres://app@db:5432/caxton`). */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(unparsable database URL)';
  }
}

/**
 * The password of `url` as written (`%2F` and all) and percent-decoded, without duplicates; none when
 * the URL has no password or cannot be parsed. Messages are scrubbed of both forms.
 */
export function urlPasswords(url: string): string[] {
  if (!URL.canParse(url)) return [];
  const written = new URL(url).password;
  let plain = written;
  try {
    plain = decodeURIComponent(written);
  } catch {
    // not valid percent-encoding: the password is only what is written
  }
  return [...new Set([written, plain])].filter((p) => p !== '');
}
