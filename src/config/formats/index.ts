/**
 * Entity file readers by extension. Each `parse` turns text into a plain value plus located warnings,
 * or throws a `SyntaxDiagnosticError` carrying the located E_SYNTAX diagnostic.
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
  format: SourceFormat;
  parse(text: string): ParseResult;
}

const READERS: Record<string, FormatReader> = {
  '.toon': { format: 'toon', parse: parseToon },
  '.toml': { format: 'toml', parse: parseToml },
  '.json': { format: 'json', parse: parseJson },
  '.md': { format: 'yaml', parse: parseMarkdown },
};

/** The reader for a file name by its extension, or undefined for files that are not entity files. */
export function readerFor(file: string): FormatReader | undefined {
  return READERS[extname(file).toLowerCase()];
}

/** File extensions the loader reads. */
export const ENTITY_EXTENSIONS = Object.keys(READERS);
