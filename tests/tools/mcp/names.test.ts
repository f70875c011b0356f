/** Offered tool names (SPEC §7): what the model sees must match ^[a-zA-Z0-9_-]{1,64}$, deterministically. */
import { describe, expect, it } from 'vitest';
import { allowedByServer, OFFERED_NAME_PATTERN, offeredName, qualifiedName } from '../../../src/tools/mcp/names.js';

describe('MCP tool names', () => {
  it('offers everything.echo as everything__echo (the documented example)', () => {
    expect(qualifiedName('everything', 'echo')).toBe('everything.echo');
    expect(offeredName('everything', 'echo')).toBe('everything__echo');
    expect(offeredName('memory', 'create_entities')).toBe('memory__create_entities');
  });

  it('turns odd or long names into valid, stable and distinct names', () => {
    const odd = ['a.b', 'a_b', 'read file', 'tools/list', 'ü-tool', 'x'.repeat(80), `${'x'.repeat(80)}y`];
    const names = odd.map((t) => offeredName('srv', t));
    for (const n of names) expect(n).toMatch(OFFERED_NAME_PATTERN);
    expect(new Set(names).size).toBe(names.length);
    expect(odd.map((t) => offeredName('srv', t))).toEqual(names);
    expect(offeredName('srv', 'read file')).toMatch(/^srv__read_file_[0-9a-f]{8}$/);
  });

  it('applies a server allowlist written as bare, qualified or wildcard names', () => {
    expect(allowedByServer('fs', 'read_file', undefined)).toBe(true);
    expect(allowedByServer('fs', 'read_file', ['read_file'])).toBe(true);
    expect(allowedByServer('fs', 'read_file', ['fs.read_file'])).toBe(true);
    expect(allowedByServer('fs', 'read_file', ['fs.*'])).toBe(true);
    expect(allowedByServer('fs', 'write_file', ['read_file', 'fs.list_directory'])).toBe(false);
    expect(allowedByServer('fs', 'write_file', [])).toBe(false);
  });
});
