// Build the web dashboard (web/) into dist/web/: esbuild bundles web/src/main.tsx (Preact, JSX) and
// its CSS into content-hashed files under dist/web/assets/, splitting lazily imported code (the agent
// editor with CodeMirror) into its own chunks, and writes dist/web/index.html naming the hashed
// entry files (and preloads the chunks it imports statically). Prints the size of each file.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(root, 'web', 'src', 'main.tsx')],
  outdir: join(out, 'assets'),
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([, o]) => o.entryPoint?.endsWith('main.tsx'));
if (!entry) throw new Error('build-web: no entry output');
const script = `assets/${basename(entry[0])}`;
const css = entry[1].cssBundle ? `assets/${basename(entry[1].cssBundle)}` : undefined;
// Chunks the entry imports statically are preloaded with it, so the browser fetches them in parallel.
const preloads = entry[1].imports.filter((i) => i.kind === 'import-statement').map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}" />`);
const html = readFileSync(join(root, 'web', 'index.html'), 'utf8')
  .replace('<!-- styles -->', [...(css ? [`<link rel="stylesheet" href="/${css}" />`] : []), ...preloads].join('\n    '))
  .replace('<!-- scripts -->', `<script type="module" src="/${script}"></script>`);
writeFileSync(join(out, 'index.html'), html);
for (const [file, o] of outputs) console.log(`web: ${file} ${(o.bytes / 1024).toFixed(1)} KiB`);
