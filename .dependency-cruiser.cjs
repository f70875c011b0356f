/**
 * Import direction of ../shared/ARCHITECTURE.md ("Import direction"), checked in CI (`npm run lint:deps`).
 * Written as allow-lists: every import of a file under src/ must match one `allowed` rule, anything
 * else is an error ("not-in-allowed"). `domain` is the shared vocabulary (schemas, types, names,
 * errors) that every layer may import. "Types" below means `import type` (dependency type
 * `type-only`): it costs nothing at run time and constructs nothing, so only `daemon` wires concrete
 * parts (with `cli`, which runs the config loader for `validate`/`migrate`/`schema`).
 */
const layer = (...names) => `^src/(${names.join('|')})/`;
const TYPES = ['type-only'];
/** `from` may import `to` (a path pattern); with `types`, only by `import type`. */
const may = (from, to, comment, types) => ({
  comment,
  from: { path: typeof from === 'string' ? from : from.path, ...(from.pathNot ? { pathNot: from.pathNot } : {}) },
  to: { path: to, ...(types ? { dependencyTypes: types } : {}) },
});

module.exports = {
  allowed: [
    may('^src/', '^(?!src/)', 'packages and Node built-ins (forbidden ones are listed below)'),
    may('^src/([^/]+)/', '^src/$1/', 'files of one layer import each other'),
    may(
      layer('ipc', 'config', 'store', 'llm', 'tools', 'runtime', 'catalog', 'api', 'daemon', 'client', 'cli', 'testing'),
      layer('domain'),
      'every layer may use domain; domain itself imports nothing internal (rule 1)',
    ),
    may(
      layer('config', 'store', 'llm', 'tools'),
      layer('config', 'store', 'llm', 'tools'),
      "config, store, llm and tools import each other's types only (rule 2)",
      TYPES,
    ),
    may(
      layer('runtime', 'catalog'),
      '^src/(llm/|tools/|store/(?!sqlite/)|config/(?!(load|watch|init|migrate|formats)))',
      'runtime and catalog use interfaces of llm, tools and store and config types, never the loader, watcher or SQLite (rule 3)',
      TYPES,
    ),
    may(layer('api'), layer('runtime', 'catalog'), 'api uses the runtime and the catalog (rule 4)'),
    may(layer('api'), '^src/store/(?!sqlite/)', 'api uses store interfaces, never sqlite/ (rule 4)', TYPES),
    may(
      layer('daemon'),
      layer('ipc', 'config', 'store', 'llm', 'tools', 'runtime', 'catalog', 'api'),
      'daemon constructs and wires every concrete part (rule 5)',
    ),
    may(
      layer('testing'),
      layer('ipc', 'config', 'llm', 'runtime', 'api', 'daemon'),
      "testing (caxton test) builds the daemon's parts in-process and a runtime per case, like the daemon, and runs workflows with the daemon's workflow runner",
    ),
    may(layer('testing'), '^src/(store|tools|catalog)/', 'testing uses store, tool and catalog interfaces', TYPES),
    may(layer('client'), layer('ipc'), 'client speaks the control protocol of ipc'),
    may(layer('cli'), layer('client', 'ipc', 'config'), 'cli imports client, ipc and config (rule 6)'),
    {
      comment: 'caxton db is an offline admin tool: its commands open the database directly, through the store entry points only (rule 6 exception)',
      from: { path: '^src/cli/commands/db-[^/]+\\.ts$' },
      to: { path: '^src/store/(open|copy)\\.ts$' },
    },
    {
      comment:
        'caxton doctor checks the install without the daemon: it reads the database through the store entry points, connects MCP servers with their connection code and embeds with the embedders (rule 6 exception)',
      from: { path: '^src/cli/doctor/[^/]+\\.ts$' },
      to: { path: '^src/(store/(open|copy)|tools/mcp/(connection|transports)|llm/embedders?)\\.ts$' },
    },
    {
      comment: 'caxton test runs scenario files in-process: the CLI imports the testing layer lazily (rule 5 exception, like --foreground)',
      from: { path: '^src/cli/commands/test\\.ts$' },
      to: { path: layer('testing'), dependencyTypes: ['dynamic-import'] },
    },
    {
      comment: 'the one import of daemon outside it: the lazy import of the CLI foreground start (rule 5)',
      from: { path: '^src/cli/commands/server-start\\.ts$' },
      to: { path: layer('daemon'), dependencyTypes: ['dynamic-import'] },
    },
  ],
  allowedSeverity: 'error',
  forbidden: [
    {
      name: 'api-no-node-net',
      comment: "api never opens sockets: listening is the daemon's (rule 4)",
      severity: 'error',
      from: { path: layer('api') },
      to: { path: '^(node:)?net$' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
