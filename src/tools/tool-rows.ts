/**
 * Keeping resolved tools in step with the user-tier rows they come from (SPEC §4): a write to a user
 * tool or MCP server row must not leave a run using the old value. `invalidatingRows` wraps the row
 * store the API writes through so every such write empties the tool resolution cache, a changed or
 * deleted MCP row closes its live connection (the next run reconnects to the new value), and every
 * user-tier row write is reported (the daemon tells the other nodes sharing the database).
 */
import type { UserEntity, UserEntityKind, UserEntityValue } from '../domain/users.js';

/** The row-store methods the decorator watches (a subset of the store's `UserEntityStore`). */
export interface ToolRowWriter {
  own<K extends UserEntityKind>(kind: K, userId: string, name: string): Promise<UserEntity<K> | undefined>;
  insert<K extends UserEntityKind>(kind: K, userId: string, value: UserEntityValue[K], isPublic: boolean): Promise<UserEntity<K>>;
  update<K extends UserEntityKind>(kind: K, userId: string, name: string, value: UserEntityValue[K], isPublic?: boolean): Promise<UserEntity<K>>;
  remove(kind: UserEntityKind, userId: string, name: string): Promise<boolean>;
}

/** What to do when tool rows change. */
export interface ToolRowHooks {
  /** Close the live connection of the user MCP row with this id (e.g. `McpPool.drop`). */
  dropConnection(rowId: string): void;
  /** Forget every cached tool resolution (e.g. `ScopedSets.invalidate`). */
  invalidate(): void;
  /**
   * Told after every committed write of any user-tier row (agents included), with the row's owner
   * (e.g. to publish the change to the other nodes sharing the database).
   */
  written?(kind: UserEntityKind, owner: string): void;
}

/**
 * `rows` with writes watched: after any insert, update or remove of a `tools` or `mcps` row,
 * `hooks.invalidate()` runs; after an update or a successful remove of an `mcps` row, the row's
 * connection is dropped first; after every write that changed a row (of any kind), `hooks.written`.
 * Reads and every other method pass through. Errors of the wrapped store propagate unchanged and
 * trigger no hook (a failed write changes nothing).
 */
export function invalidatingRows<S extends ToolRowWriter>(rows: S, hooks: ToolRowHooks): S {
  const changed = (kind: UserEntityKind, owner: string) => {
    if (kind !== 'agents') hooks.invalidate();
    hooks.written?.(kind, owner);
  };
  const mcpRow = async (kind: UserEntityKind, userId: string, name: string) => (kind === 'mcps' ? rows.own(kind, userId, name) : undefined);
  const writes: Pick<ToolRowWriter, 'insert' | 'update' | 'remove'> = {
    async insert(kind, userId, value, isPublic) {
      const row = await rows.insert(kind, userId, value, isPublic);
      changed(kind, userId);
      return row;
    },
    async update(kind, userId, name, value, isPublic) {
      const before = await mcpRow(kind, userId, name);
      const row = await rows.update(kind, userId, name, value, isPublic);
      if (before) hooks.dropConnection(before.id);
      changed(kind, userId);
      return row;
    },
    async remove(kind, userId, name) {
      const before = await mcpRow(kind, userId, name);
      const removed = await rows.remove(kind, userId, name);
      if (before && removed) hooks.dropConnection(before.id);
      if (removed) changed(kind, userId);
      return removed;
    },
  };
  return { ...rows, ...writes };
}
