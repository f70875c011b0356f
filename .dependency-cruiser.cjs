/**
 * Import direction of ../shared/ARCHITECTURE.md, checked in CI (`npm run lint:deps`).
 * Each rule names the layer and what it may not import.
 */
const layer = (name) => `^src/${name}/`;
const only = (from, allowed, comment) => ({
  name: `${from}-imports-only-${allowed.join('-') || 'nothing'}`,
  comment,
  severity: 'error',
  from: { path: layer(from) },
  to: { path: '^src/', pathNot: [layer(from), ...allowed.map(layer)] },
});

module.exports = {
  forbidden: [
    only('domain', [], 'domain imports nothing internal'),
    only('ipc', ['domain'], 'ipc imports only domain'),
    only('config', ['domain'], 'config imports only domain'),
    only('store', ['domain'], 'store imports only domain'),
    { ...only('llm', ['domain']), to: { path: '^src/', pathNot: [layer('llm'), layer('domain'), '^src/config/ares-toml\\.ts$'] }, name: 'llm-imports-only-domain-and-provider-config', comment: 'llm imports domain and the ProviderConfig type of ares.toml' },
    only('tools', ['domain', 'llm', 'store'], 'tools never imports runtime'),
    {
      name: 'runtime-uses-interfaces-only',
      comment: 'runtime uses interfaces of llm/tools/store and config types, not the loader, watcher or SQLite',
      severity: 'error',
      from: { path: layer('runtime') },
      to: { path: ['^src/store/sqlite/', '^src/config/(load|watch|init|formats)', '^src/(api|daemon|cli|client|catalog)/'] },
    },
    {
      name: 'catalog-uses-interfaces-only',
      severity: 'error',
      from: { path: layer('catalog') },
      to: { path: ['^src/store/sqlite/', '^src/config/(load|watch|init|formats)', '^src/(api|daemon|cli|client|runtime)/'] },
    },
    {
      name: 'api-no-daemon-sqlite-net',
      comment: 'api imports runtime, catalog, store interfaces, domain; never daemon, sqlite/, node:net',
      severity: 'error',
      from: { path: layer('api') },
      to: { path: ['^src/(daemon|cli|client|ipc|config)/', '^src/store/sqlite/', '^net$', '^node:net$'] },
    },
    {
      name: 'only-daemon-imports-daemon',
      comment: 'nothing imports daemon except the lazy import in the CLI foreground start',
      severity: 'error',
      from: { path: '^src/', pathNot: [layer('daemon'), '^src/cli/commands/server-start\\.ts$'] },
      to: { path: layer('daemon') },
    },
    {
      name: 'cli-no-runtime-api',
      comment: 'cli imports client, ipc and config, never runtime or api',
      severity: 'error',
      from: { path: layer('cli') },
      to: { path: ['^src/(runtime|api|store|llm|tools|catalog)/'] },
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
