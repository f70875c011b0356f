/**
 * Database URLs as they may be shown (STORY-034 external backends, DIR-12 hosted database): health, status and
 * error messages name the database without its password. Its own module so both the backend
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
