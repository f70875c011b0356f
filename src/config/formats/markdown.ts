/**
 * Legacy Markdown + YAML frontmatter reader (ADR-0028 agents, deprecated by ADR-0032). The frontmatter
 * between the leading `---` lines is YAML (the `yaml` package); the Markdown body becomes `documentation`
 * unless the frontmatter sets one. Every file gets a W_DEPRECATED warning pointing at `caxton migrate`.
 */
import { parseDocument } from 'yaml';
import { SyntaxDiagnosticError, type ParseResult } from './syntax-error.js';

const FENCE = /^---\s*$/;

/** Parse a `.md` entity file. @throws SyntaxDiagnosticError located in the original file. */
export function parseMarkdown(text: string): ParseResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!FENCE.test(lines[0] ?? '')) {
    throw new SyntaxDiagnosticError('no YAML frontmatter: the file must start with a `---` line', 1, 1, 'put the agent fields between two `---` lines at the top of the file');
  }
  const close = lines.findIndex((l, i) => i > 0 && FENCE.test(l));
  if (close < 0) {
    throw new SyntaxDiagnosticError('the YAML frontmatter is never closed', 1, 1, 'end the frontmatter with a `---` line');
  }
  const doc = parseDocument(lines.slice(1, close).join('\n'));
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
    const message = (error.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '');
    // The frontmatter starts on line 2 of the file.
    throw new SyntaxDiagnosticError(message, pos.line + 1, pos.col, 'check indentation and quoting in the frontmatter');
  }
  const value: unknown = doc.toJS() ?? {};
  const body = lines.slice(close + 1).join('\n').trim();
  if (body && value !== null && typeof value === 'object' && !Array.isArray(value) && !('documentation' in value)) {
    (value as Record<string, unknown>).documentation = body;
  }
  return {
    value,
    warnings: [
      {
        line: 1,
        col: 1,
        code: 'W_DEPRECATED',
        message: 'Markdown+YAML agents are deprecated (ADR-0032)',
        hint: 'run `caxton migrate FILE` to convert it to TOML',
      },
    ],
  };
}
