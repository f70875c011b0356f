/** PostgreSQL implementation of the Store: not built yet in this tree. */
import { DomainError } from '../../domain/errors.js';
import type { Store } from '../types.js';

/** @throws DomainError UNAVAILABLE always: this build has no PostgreSQL store. */
export async function openPostgresStore(_url: string, _opts: { poolSize: number; log?: (msg: string, err?: unknown) => void }): Promise<Store> {
  throw new DomainError('UNAVAILABLE', 'this build has no PostgreSQL store');
}
