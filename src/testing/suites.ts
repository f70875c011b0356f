/**
 * Finding and loading scenario files for `caxton test` (docs/testing.md). With no path, every
 * scenario file under the home's `config/` tree and `tests/` beside it; a directory given is searched
 * recursively; a file given must be a scenario file. Every file is validated before any case runs.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../config/diagnostics.js';
import { isScenarioFile, parseScenario, scenarioFormat, type Scenario } from '../config/scenario.js';
import { readEntityText } from '../config/text.js';
import { displayPath } from '../config/validate.js';
import type { Paths } from '../ipc/paths.js';

/** A loaded scenario file. */
export interface Suite {
  /** Absolute path. */
  path: string;
  /** As shown to the user (relative to the working directory when inside it). */
  file: string;
  scenario: Scenario;
}

/** Every scenario file under `dir`, sorted (dot directories and node_modules skipped). */
function scenarioFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...scenarioFilesUnder(p));
    else if (e.isFile() && isScenarioFile(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Load the suites `inputs` name (default: the home's `config/` and `tests/`), relative to `cwd`.
 * Returns the suites and every diagnostic (a path that does not exist or is not a scenario file is one).
 */
export function loadSuites(inputs: readonly string[], paths: Paths, cwd = process.cwd()): { suites: Suite[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const roots = inputs.length > 0 ? inputs.map((i) => resolve(cwd, i)) : [paths.configDir, join(paths.home, 'tests')].filter((d) => existsSync(d));
  for (const path of roots) {
    const shown = displayPath(cwd, path);
    if (!existsSync(path)) diagnostics.push({ code: 'E_SYNTAX', file: shown, line: 1, col: 1, message: 'no such file or directory' });
    else if (statSync(path).isDirectory()) files.push(...scenarioFilesUnder(path));
    else if (isScenarioFile(path)) files.push(path);
    else
      diagnostics.push({
        code: 'E_SYNTAX',
        file: shown,
        line: 1,
        col: 1,
        message: 'not a scenario file',
        hint: 'scenario files are named NAME.test.toml, NAME.test.toon or NAME.test.json',
      });
  }
  const suites: Suite[] = [];
  for (const path of [...new Set(files)]) {
    const file = displayPath(cwd, path);
    const read = readEntityText(path, file);
    if (read.diagnostic) {
      diagnostics.push(read.diagnostic);
      continue;
    }
    const parsed = parseScenario(read.text, scenarioFormat(path)!, file);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.value) suites.push({ path, file, scenario: parsed.value });
  }
  return { suites, diagnostics };
}
