/**
 * Entity file readers by format and by file extension. Each `parse` turns text into a plain value plus
 * located warnings, or throws a `SyntaxDiagnosticError` carrying the located E_SYNTAX diagnostic.
 */
import { extname } from 'node:path';
import type { SourceFormat } from '../diagnostics.js';
import { parseJson } from './json.js';
import { parseMarkdown } from './markdown.js';
import type { ParseResult } from './syntax-error.js';
import { parseToml } from './toml.js';
import { parseToon } from './toon.js';

export { SyntaxDiagnosticError, type ParseResult } from './syntax-error.js';

/** A reader: text -> plain value (objects, arrays, strings, numbers, booleans, null) and warnings. */
export interface FormatReader {
  /** How keys are located in the text for diagnostics (`yaml` = Markdown frontmatter). */
  format: SourceFormat;
  parse(text: string): ParseResult;
}

/** Input formats by name: the three writable formats plus legacy Markdown+YAML frontmatter. */
export type ReadableFormat = 'toon' | 'toml' | 'json' | 'markdown';

const READERS: Record<ReadableFormat, FormatReader> = {
  toon: { format: 'toon', parse: parseToon },
  toml: { format: 'toml', parse: parseToml },
  json: { format: 'json', parse: parseJson },
  markdown: { format: 'yaml', parse: parseMarkdown },
};

const EXTENSIONS: Record<string, ReadableFormat> = { '.toon': 'toon', '.toml': 'toml', '.json': 'json', '.md': 'markdown' };

/** The format of an entity file by its extension (case-insensitive), or undefined for other files. */
export function formatOfFile(file: string): ReadableFormat | undefined {
  return EXTENSIONS[extname(file).toLowerCase()];
}

/** The reader for a format name (`markdown` = Markdown with YAML frontmatter). */
export function readerForFormat(format: ReadableFormat): FormatReader {
  return READERS[format];
}
