/** The tool-reference grammar (SPEC §7) that the loader, the catalog, the Toolbox and the MCP manager share. */
import { describe, expect, it } from 'vitest';
import { parseToolRef, serversOf } from '../../src/domain/tool-refs.js';

describe('tool references', () => {
  it('parses plain names, one MCP tool and a whole server', () => {
    expect(parseToolRef('calculator')).toEqual({ tool: 'calculator' });
    expect(parseToolRef('everything.echo')).toEqual({ server: 'everything', tool: 'echo' });
    expect(parseToolRef('everything.*')).toEqual({ server: 'everything', tool: '*' });
    // The server name ends at the first dot; the rest is the server's own tool name.
    expect(parseToolRef('files.read.v2')).toEqual({ server: 'files', tool: 'read.v2' });
  });

  it('a dot with nothing before or after it is part of a plain name (it then resolves to no tool)', () => {
    expect(parseToolRef('.echo')).toEqual({ tool: '.echo' });
    expect(parseToolRef('files.')).toEqual({ tool: 'files.' });
  });

  it('lists each referenced server once, in first-seen order', () => {
    expect(serversOf(['calculator', 'web.fetch', 'files.*', 'web.*', 'files.read'])).toEqual(['web', 'files']);
  });
});
