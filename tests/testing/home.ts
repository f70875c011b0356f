/**
 * A temp home for in-process `caxton test` runs: the repo's shipped `config/` (agents, models, tools,
 * workflows) and an ares.toml whose `openai` provider is `baseUrl` (the fake OpenAI server; a closed
 * port when the test needs no model), plus scenario files written by the test.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathsFor, type Paths } from '../../src/ipc/paths.js';
import { loadSuites } from '../../src/testing/suites.js';
import { runSuites, type RecordMode, type TestReport } from '../../src/testing/runner.js';
import { REPO_ROOT, openaiToml } from '../helpers/cli.js';

/** A scenario home and how to run its suites. */
export interface ScenarioHome {
  dir: string;
  paths: Paths;
  /** Write `text` at `rel` inside the home. */
  write(rel: string, text: string): string;
  /** Load and run the suites at `inputs` (home-relative); throws when a scenario file has diagnostics. */
  run(inputs: string[], mode?: RecordMode, env?: NodeJS.ProcessEnv): Promise<TestReport>;
  remove(): void;
}

/** Create a home (see the module comment); `extraToml` is appended to its ares.toml. */
export function scenarioHome(baseUrl: string, extraToml = ''): ScenarioHome {
  const dir = mkdtempSync(join(tmpdir(), 'cx-scn-'));
  cpSync(join(REPO_ROOT, 'config'), join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'ares.toml'), openaiToml(baseUrl, extraToml));
  const paths = pathsFor(dir);
  return {
    dir,
    paths,
    write(rel, text) {
      const file = join(dir, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    async run(inputs, mode = 'auto', env = { OPENAI_API_KEY: 'test-key' }) {
      const { suites, diagnostics } = loadSuites(
        inputs.map((i) => join(dir, i)),
        paths,
        dir,
      );
      if (diagnostics.length > 0) throw new Error(JSON.stringify(diagnostics));
      return runSuites(suites, { paths, mode, env });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
