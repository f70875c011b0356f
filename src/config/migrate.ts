/**
 * `caxton migrate` (SPEC §3, ADR-0032): convert legacy Markdown+YAML frontmatter agents to TOML. Each
 * source is parsed and validated like the loader does; the TOML is written by the codec and read back
 * before it is saved, so a migration never writes a file that loads differently (or not at all). The
 * source `.md` is always kept; an existing `.toml` is only replaced with `force`.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { AgentSchema } from '../domain/entities.js';
import { parseEntity, writeEntity } from './codec.js';
import { isWarning, type Diagnostic } from './diagnostics.js';
import { readerForFormat } from './formats/index.js';
import { listEntityFiles } from './load.js';
import { readEntityText } from './text.js';
import { looksLikeConfigTree } from './validate.js';

/** Outcome for one source file. Paths are display paths (relative to `cwd` when inside it). */
export interface MigrateFileResult {
  source: string;
  /** The `.toml` written (or that would have been written). */
  target?: string;
  status: 'written' | 'failed';
  /** Human-readable list of what changed between the source and the TOML (empty when failed). */
  changes: string[];
  /** Why it failed (errors), plus the source's warnings other than the deprecation itself. */
  diagnostics: Diagnostic[];
}

/** Options of `migratePaths`. */
export interface MigrateOptions {
  /** Directory for the `.toml` files (created when missing); default: next to each source. */
  out?: string;
  /** Overwrite an existing `.toml` target. */
  force?: boolean;
  /** Base for relative inputs and display paths (default: process.cwd()). */
  cwd?: string;
}

/** `.md` sources named by `paths`: files as given; directories contribute their `.md` entity files (and `agents/` of a config tree). */
function sources(paths: readonly string[], cwd: string): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  for (const input of paths) {
    const path = resolve(cwd, input);
    if (!existsSync(path)) missing.push(input);
    else if (!statSync(path).isDirectory()) files.push(path);
    else {
      const dirs = looksLikeConfigTree(path) ? [path, join(path, 'agents')] : [path];
      for (const dir of dirs) files.push(...listEntityFiles(dir).filter((f) => extname(f).toLowerCase() === '.md'));
    }
  }
  return { files: [...new Set(files)], missing };
}

/** Top-level keys written in the YAML frontmatter (not counting the Markdown body). */
function frontmatterKeys(text: string): Set<string> {
  try {
    const value = readerForFormat('markdown').parse(text).value as Record<string, unknown>;
    const keys = new Set(Object.keys(value));
    if (!/^documentation\s*:/m.test(text.split(/^---\s*$/m)[1] ?? '')) keys.delete('documentation');
    return keys;
  } catch {
    return new Set();
  }
}

/** What differs between the Markdown source and the TOML written for `agent`. */
function describeChanges(text: string, agent: Record<string, unknown>, toml: string): string[] {
  const written = frontmatterKeys(text);
  const changes = ['YAML frontmatter -> TOML keys (same names and values)'];
  if (typeof agent.documentation === 'string' && !written.has('documentation')) {
    const lines = agent.documentation.split('\n').length;
    changes.push(`Markdown body -> \`documentation\` (${lines} line${lines === 1 ? '' : 's'})`);
  }
  const defaults = Object.keys(AgentSchema.shape).filter((k) => !written.has(k) && k !== 'documentation' && k in agent && agent[k] !== undefined);
  const shown = defaults.filter((k) => toml.includes(`${k} =`) || toml.includes(`[${k}]`));
  if (shown.length) changes.push(`defaults written out: ${shown.map((k) => `${k} = ${JSON.stringify(agent[k])}`).join(', ')}`);
  const blocks = Object.keys(agent).filter((k) => toml.includes(`${k} = '''`));
  if (blocks.length) changes.push(`multi-line text as ''' blocks: ${blocks.join(', ')}`);
  return changes;
}

/**
 * Migrate every Markdown+YAML agent named by `paths` to TOML. Never throws for bad content or existing
 * targets (those are failed results); throws only for unexpected I/O errors while writing.
 */
export function migratePaths(paths: readonly string[], opts: MigrateOptions = {}): MigrateFileResult[] {
  const cwd = opts.cwd ?? process.cwd();
  const display = (p: string) => {
    const rel = relative(cwd, p);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
  };
  const { files, missing } = sources(paths, cwd);
  const results: MigrateFileResult[] = missing.map((m) => ({
    source: m,
    status: 'failed',
    changes: [],
    diagnostics: [{ code: 'E_SYNTAX', file: m, line: 1, col: 1, message: 'no such file or directory' }],
  }));
  const targets = new Set<string>();
  for (const path of files) {
    const source = display(path);
    const targetPath = join(opts.out ? resolve(cwd, opts.out) : dirname(path), `${basename(path, extname(path))}.toml`);
    const target = display(targetPath);
    const failed = (d: Omit<Diagnostic, 'file' | 'line' | 'col'> & Partial<Diagnostic>, extra: Diagnostic[] = []) =>
      results.push({ source, target, status: 'failed', changes: [], diagnostics: [...extra, { file: source, line: 1, col: 1, ...d }] });

    if (extname(path).toLowerCase() !== '.md') {
      failed({ code: 'E_SYNTAX', message: 'not a Markdown file', hint: 'migrate converts legacy .md agents; `caxton validate` checks other formats' });
      continue;
    }
    const read = readEntityText(path, source);
    if (read.diagnostic) {
      results.push({ source, target, status: 'failed', changes: [], diagnostics: [read.diagnostic] });
      continue;
    }
    const parsed = parseEntity('agents', read.text, 'markdown', source);
    const kept = parsed.diagnostics.filter((d) => !(d.code === 'W_DEPRECATED' && d.line === 1));
    if (!parsed.value) {
      results.push({ source, target, status: 'failed', changes: [], diagnostics: kept });
      continue;
    }
    if (targets.has(targetPath)) {
      failed({ code: 'E_DUPLICATE', message: `another source in this run also migrates to ${target}`, hint: 'migrate them into different --out directories' });
      continue;
    }
    if (existsSync(targetPath) && !opts.force) {
      failed({ code: 'E_DUPLICATE', file: target, message: `${target} already exists`, hint: 'pass --force to overwrite it, or --out DIR to write elsewhere' });
      continue;
    }
    const toml = writeEntity('agents', parsed.value, 'toml');
    const check = parseEntity('agents', toml, 'toml', target);
    if (check.diagnostics.length > 0 || !isDeepStrictEqual(check.value, parsed.value)) {
      failed(
        { code: 'E_VALUE', message: 'the TOML written for this agent does not read back to the same agent; nothing was written', hint: 'please report this with the source file' },
        check.diagnostics,
      );
      continue;
    }
    mkdirSync(dirname(targetPath), { recursive: true });
    writeFileSync(targetPath, toml, { flag: opts.force ? 'w' : 'wx' });
    targets.add(targetPath);
    results.push({
      source,
      target,
      status: 'written',
      changes: describeChanges(read.text, parsed.value as unknown as Record<string, unknown>, toml),
      diagnostics: kept.filter(isWarning),
    });
  }
  return results;
}
