/**
 * `caxton schema` output comes from the zod schemas: every field is documented, the JSON Schema matches
 * the validator's field set, and docs/config-reference.md is the current generator output.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEntity } from '../../src/config/codec.js';
import { FIELD_DOCS, entityJsonSchema, schemaMarkdown } from '../../src/config/schema-docs.js';
import { ENTITY_KINDS, ENTITY_SCHEMAS } from '../../src/domain/entities.js';

describe('schema docs', () => {
  it('docs/config-reference.md is up to date (regenerate with `npm run docs`)', () => {
    const committed = readFileSync(resolve(__dirname, '../../docs/config-reference.md'), 'utf8');
    expect(committed, 'docs/config-reference.md is stale: run `npm run docs` and commit the result').toBe(schemaMarkdown());
  });

  it.each(ENTITY_KINDS)('%s: every schema field has a description and a row in the reference', (kind) => {
    const fields = Object.keys((ENTITY_SCHEMAS[kind] as unknown as { shape: Record<string, unknown> }).shape);
    for (const f of fields) {
      expect(FIELD_DOCS[kind][f], `FIELD_DOCS.${kind}.${f}`).toBeTruthy();
      expect(schemaMarkdown(kind)).toContain(`| \`${f}\` |`);
    }
    expect(Object.keys(FIELD_DOCS[kind]).filter((k) => !k.includes('.')).sort()).toEqual([...fields].sort());
  });

  it('the JSON Schema has the validator\'s fields, required list and defaults', () => {
    const agent = entityJsonSchema('agents') as { properties: Record<string, { default?: unknown; description?: string }>; required: string[]; additionalProperties: boolean };
    expect(agent.required).toEqual(['name', 'system_prompt']);
    expect(agent.additionalProperties).toBe(false);
    expect(agent.properties.max_tool_iterations).toMatchObject({ default: 10, type: 'integer', minimum: 1, maximum: 100 });
    expect(agent.properties.tools!.description).toMatch(/SERVER\.\*/);
  });

  it.each(ENTITY_KINDS)('%s: the TOON and TOML examples in the reference load without diagnostics', (kind) => {
    const md = schemaMarkdown(kind);
    for (const format of ['toon', 'toml'] as const) {
      const block = new RegExp('```' + format + '\\n([\\s\\S]*?)```').exec(md)?.[1];
      expect(block, format).toBeDefined();
      expect(parseEntity(kind, block!, format).diagnostics).toEqual([]);
    }
  });
});
