/**
 * Lint step of the config pipeline (read -> parse -> normalize -> validate): format-specific mistakes
 * that the schema would only report as a confusing symptom. Today: the ADR-0032 TOML trap (SPEC §3),
 * where keys written after a `[table]` header belong to that table, so the example's `system_prompt`
 * lands in `parameters.system_prompt` and the agent seems to have "no system_prompt".
 */
import { AgentSchema, type EntityKind } from '../domain/entities.js';
import type { Diagnostic, SourceFormat } from './diagnostics.js';

/** Lint findings, plus the fields (dot paths) whose generic validation diagnostics they replace. */
export interface LintResult {
  diagnostics: Diagnostic[];
  replaces: Set<string>;
}

/** Top-level Agent fields that are not themselves tables. */
const AGENT_FIELDS = Object.keys(AgentSchema.shape).filter((k) => !['parameters', 'memory', 'extra'].includes(k));

/** A plain one-segment table header such as `[parameters]` (captures the name). */
const TABLE_HEADER = /^\s*\[\s*"?([A-Za-z0-9_-]+)"?\s*\]\s*(?:#.*)?$/;
/** Any table or array-of-tables header. */
const ANY_HEADER = /^\s*\[\[?\s*[\w"'. -]+\]\]?\s*(?:#.*)?$/;

const isTable = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Find top-level Agent fields that a TOML agent file wrote after a `[table]` header, so they belong to that
 * table while the top level lacks them. Each is an error at the key's line: E_UNKNOWN_FIELD inside
 * `[memory]` (a closed table), E_MISSING_FIELD elsewhere. Other kinds and formats have no findings.
 */
export function lintEntity(kind: EntityKind, format: SourceFormat, file: string, text: string, value: Record<string, unknown>): LintResult {
  const result: LintResult = { diagnostics: [], replaces: new Set() };
  if (kind !== 'agents' || format !== 'toml') return result;
  const lines = text.split('\n');
  const firstHeader = lines.findIndex((l) => ANY_HEADER.test(l));
  lines.forEach((line, headerIdx) => {
    const table = TABLE_HEADER.exec(line)?.[1];
    const content = table === undefined ? undefined : value[table];
    if (table === undefined || !isTable(content)) return;
    const next = lines.findIndex((l, i) => i > headerIdx && ANY_HEADER.test(l));
    const end = next < 0 ? lines.length : next;
    for (const field of AGENT_FIELDS) {
      if (value[field] !== undefined || content[field] === undefined) continue;
      const keyRe = new RegExp(`^\\s*"?${field}"?\\s*=`);
      const keyIdx = lines.findIndex((l, i) => i > headerIdx && i < end && keyRe.test(l));
      if (keyIdx < 0) continue;
      result.diagnostics.push({
        code: table === 'memory' ? 'E_UNKNOWN_FIELD' : 'E_MISSING_FIELD',
        file,
        line: keyIdx + 1,
        col: lines[keyIdx]!.search(/\S/) + 1,
        field,
        message: `\`${field}\` is inside the [${table}] table (line ${headerIdx + 1}), so the agent has no top-level ${field}`,
        hint: `TOML keys after a [table] header belong to that table: move \`${field} = ...\` above the first [table] header (\`${lines[firstHeader]!.trim()}\`, line ${firstHeader + 1})`,
      });
      result.replaces.add(field).add(`${table}.${field}`);
    }
  });
  return result;
}
