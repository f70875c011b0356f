/**
 * The validated system-tier configuration at one moment: every entity of `config/` with the file it
 * came from, plus the diagnostics of the load that produced it. Snapshots are immutable; hot reload
 * replaces the whole snapshot (ARCHITECTURE "Config load is a pipeline").
 */
import type { Agent, McpServer, Model, Tool, Workflow } from '../domain/entities.js';
import type { Diagnostic } from './diagnostics.js';

/** An entity with the file it was read from. */
export interface Loaded<T> {
  value: T;
  file: string;
}

/** System-tier entities by name, per kind. */
export interface ConfigSnapshot {
  agents: ReadonlyMap<string, Loaded<Agent>>;
  models: ReadonlyMap<string, Loaded<Model>>;
  tools: ReadonlyMap<string, Loaded<Tool>>;
  workflows: ReadonlyMap<string, Loaded<Workflow>>;
  mcps: ReadonlyMap<string, Loaded<McpServer>>;
  /** Errors and warnings found while loading (entities with errors are left out). */
  diagnostics: readonly Diagnostic[];
  /** When the snapshot was built (ms since epoch). */
  loadedAt: number;
}
