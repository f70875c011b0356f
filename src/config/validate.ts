/**
 * `caxton validate PATH...` without a daemon (SPEC §5, §3): check entity files, kind directories, whole
 * config trees (cross-file references, duplicates, W_UNUSED) and ares.toml, with the same located
 * diagnostics the daemon's loader gives. A directory "looks like a config tree" when it has one of the
 * kind sub-directories (agents/, models/, ...) or is a home with `config/`; its references are checked
 * against the `ares.toml` next to it (the home's); without one, provider names are not checked (a note
 * says so) and the default model is `balanced`, as in a fresh home.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BUILTIN_TOOL_NAMES } from '../domain/builtin-tools.js';
import { ENTITY_KINDS, ENTITY_SCHEMAS, type EntityKind } from '../domain/entities.js';
import { isDomainError } from '../domain/errors.js';
import { didYouMean } from '../domain/suggest.js';
import { parseAresConfig, type AresConfig } from './ares-toml.js';
import { parseEntity } from './codec.js';
import { isWarning, type Diagnostic, type DiagnosticCode } from './diagnostics.js';
import { formatOfFile, readerForFormat, type ReadableFormat } from './formats/index.js';
import { listEntityFiles, loadConfigTree } from './load.js';
import { isScenarioFile, parseScenario, scenarioFormat } from './scenario.js';
import { readEntityText } from './text.js';

/** What `validatePaths` checked and found. */
export interface ValidateReport {
  /** Entity and ares.toml files that were read (display paths). */
  files: string[];
  /** Every diagnostic, in path order; file names are relative to `cwd` when inside it. */
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  /** What was not checked and why, e.g. provider names of a tree with no ares.toml next to it. */
  notes: string[];
}

/** Options of `validatePaths`. */
export interface ValidateOptions {
  /** Kind of loose files that are not in a kind directory (default: guessed from their fields). */
  kind?: EntityKind;
  /** Base for display paths and relative inputs (default: process.cwd()). */
  cwd?: string;
}

/** `path` relative to `cwd` when it lies inside it, else as given (absolute). */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

const isKindName = (name: string): name is EntityKind => (ENTITY_KINDS as readonly string[]).includes(name);
const isDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/** True when `dir` has at least one entity-kind sub-directory (agents/, models/, ...). */
export function looksLikeConfigTree(dir: string): boolean {
  return ENTITY_KINDS.some((k) => isDir(join(dir, k)));
}

/** Fields that mark an agent whatever else the file holds (`[parameters]` may have captured its `system_prompt`). */
const AGENT_MARKS = ['system_prompt', 'parameters', 'tools', 'max_tool_iterations', 'user_prompt_template'];

/** How many of `keys` belong to the schema of `kind`, a near miss (did-you-mean) counting too. */
function resemblance(kind: EntityKind, keys: readonly string[]): number {
  const known = Object.keys((ENTITY_SCHEMAS[kind] as unknown as { shape: Record<string, unknown> }).shape);
  return keys.filter((k) => known.includes(k) || didYouMean(k, known) !== undefined).length;
}

/**
 * Guess the kind of a loose entity file: the kind whose fields it resembles most. An agent mark
 * (`system_prompt`, `[parameters]`, `tools`...) or a misspelt one (`sytem_prompt`) makes it an agent,
 * so it gets the agent diagnostics (the [parameters] trap, did-you-mean); otherwise `entry_agent` ->
 * workflow, `provider` -> model, `command`/`url` -> MCP server, and the kind with most matching
 * fields wins (ties: tool when the file has a `name`, else agent). Markdown files and unparsable text are agents.
 */
export function guessKind(text: string, format: ReadableFormat): EntityKind {
  if (format === 'markdown') return 'agents';
  let value: unknown;
  try {
    value = readerForFormat(format).parse(text).value;
  } catch {
    return 'agents';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'agents';
  const keys = Object.keys(value);
  if (keys.some((k) => AGENT_MARKS.includes(k) || didYouMean(k, AGENT_MARKS) !== undefined)) return 'agents';
  if (keys.includes('entry_agent')) return 'workflows';
  if (keys.includes('provider')) return 'models';
  if (keys.includes('command') || keys.includes('url')) return 'mcps';
  let best: EntityKind = keys.includes('name') ? 'tools' : 'agents';
  for (const kind of ENTITY_KINDS) if (resemblance(kind, keys) > resemblance(best, keys)) best = kind;
  return best;
}

/** Providers and default model for reference checks: from `aresToml` when it exists, else the defaults. */
function treeOptions(aresToml: string, display: (p: string) => string, out: Diagnostic[], files: string[]): AresConfig {
  let text = '';
  if (existsSync(aresToml)) {
    text = readFileSync(aresToml, 'utf8');
    files.push(display(aresToml));
  }
  try {
    return parseAresConfig(text, display(aresToml));
  } catch (err) {
    if (!isDomainError(err)) throw err;
    for (const d of err.details) {
      out.push({ ...d, code: (d.code ?? 'E_VALUE') as DiagnosticCode, file: d.file ?? display(aresToml), line: d.line ?? 1, col: d.col ?? 1 });
    }
    return parseAresConfig('');
  }
}

/**
 * Validate files and directories. Never throws for bad content; a path that does not exist or is not an
 * entity file becomes an E_SYNTAX diagnostic at 1:1. Throws only for unexpected I/O errors.
 */
export function validatePaths(paths: readonly string[], opts: ValidateOptions = {}): ValidateReport {
  const cwd = opts.cwd ?? process.cwd();
  const display = (p: string) => displayPath(cwd, p);
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];

  const notes: string[] = [];
  const checkTree = (configDir: string, aresToml: string) => {
    const ares = treeOptions(aresToml, display, diagnostics, files);
    let providers = Object.keys(ares.providers);
    if (!existsSync(aresToml)) {
      // Without the home's ares.toml the provider names cannot be known: accept the ones in use.
      providers = [];
      for (const f of listEntityFiles(join(configDir, 'models'))) {
        const read = readEntityText(f, f);
        const format = formatOfFile(f)!;
        const model = read.text === undefined ? undefined : parseEntity('models', read.text, format).value;
        if (model) providers.push(model.provider);
      }
      notes.push(`no ares.toml next to ${display(configDir)}: provider names were not checked`);
    }
    const root = relative(cwd, configDir).startsWith('..') ? dirname(configDir) : cwd;
    for (const kind of ENTITY_KINDS) {
      if (isDir(join(configDir, kind))) files.push(...listEntityFiles(join(configDir, kind)).map((f) => relative(root, f)));
    }
    const snap = loadConfigTree(configDir, {
      providers,
      defaultModel: ares.defaults.model,
      builtinTools: BUILTIN_TOOL_NAMES,
      displayRoot: root,
    });
    diagnostics.push(...snap.diagnostics);
  };

  const checkFile = (path: string, kind?: EntityKind) => {
    const file = display(path);
    files.push(file);
    if (basename(path) === 'ares.toml') {
      treeOptions(path, display, diagnostics, []);
      return;
    }
    const scenario = scenarioFormat(path);
    const format = formatOfFile(path);
    if (scenario) {
      const read = readEntityText(path, file);
      diagnostics.push(...(read.diagnostic ? [read.diagnostic] : parseScenario(read.text, scenario, file).diagnostics));
      return;
    }
    if (!format) {
      diagnostics.push({ code: 'E_SYNTAX', file, line: 1, col: 1, message: 'not an entity file', hint: 'entity files end in .toon, .toml, .json or .md' });
      return;
    }
    const read = readEntityText(path, file);
    if (read.diagnostic) {
      diagnostics.push(read.diagnostic);
      return;
    }
    const text = read.text;
    const parent = basename(dirname(path));
    const k = kind ?? (isKindName(parent) ? parent : (opts.kind ?? guessKind(text, format)));
    diagnostics.push(...parseEntity(k, text, format, file).diagnostics);
  };

  for (const input of paths) {
    const path = resolve(cwd, input);
    if (!existsSync(path)) {
      diagnostics.push({ code: 'E_SYNTAX', file: input, line: 1, col: 1, message: 'no such file or directory' });
      continue;
    }
    if (!isDir(path)) {
      checkFile(path);
    } else if (looksLikeConfigTree(path)) {
      checkTree(path, join(path, '..', 'ares.toml'));
    } else if (looksLikeConfigTree(join(path, 'config'))) {
      checkTree(join(path, 'config'), join(path, 'ares.toml'));
    } else {
      const kind = isKindName(basename(path)) ? basename(path) : undefined;
      const scenarios = readdirSync(path, { withFileTypes: true }).filter((d) => d.isFile() && isScenarioFile(d.name)).map((d) => join(path, d.name));
      const found = [...listEntityFiles(path), ...scenarios.sort()];
      for (const f of found) checkFile(f, kind as EntityKind | undefined);
      if (existsSync(join(path, 'ares.toml'))) checkFile(join(path, 'ares.toml'));
      if (found.length === 0 && !existsSync(join(path, 'ares.toml'))) {
        diagnostics.push({ code: 'E_SYNTAX', file: display(path), line: 1, col: 1, message: 'no entity files in this directory', hint: 'pass files, a kind directory such as config/agents, or a config tree' });
      }
    }
  }
  const errors = diagnostics.filter((d) => !isWarning(d)).length;
  return { files, diagnostics, errors, warnings: diagnostics.length - errors, notes };
}
