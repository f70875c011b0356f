// Build the web dashboard (web/) into dist/web/: esbuild bundles web/src/main.tsx (Preact, JSX) into
// content-hashed files under dist/web/assets/, splitting lazily imported code (the agent editor with
// CodeMirror) into its own chunks, and writes dist/web/index.html with the CSS inlined (no
// render-blocking request), naming the hashed entry (in the head, before the API preloads, so the
// longest download starts first) and preloading the chunks it imports statically.
// Every file also gets its gzip (`.gz`) and Brotli (`.br`) twin, served as they are by the daemon
// (src/api/dashboard.ts), so no request pays for compression. Prints the size of each file.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
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
const cssFile = entry[1].cssBundle ? join(root, entry[1].cssBundle) : undefined;
const styles = cssFile ? [`<style>${readFileSync(cssFile, 'utf8').trim()}</style>`] : [];
if (cssFile) rmSync(cssFile);
// Chunks the entry imports statically are preloaded with it, so the browser fetches them in parallel.
const preloads = entry[1].imports.filter((i) => i.kind === 'import-statement').map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}" />`);
const html = readFileSync(join(root, 'web', 'index.html'), 'utf8')
  .replace('<!-- styles -->', styles.join('\n    '))
  .replace('<!-- scripts -->', [`<script type="module" src="/${script}"></script>`, ...preloads].join('\n    '));
writeFileSync(join(out, 'index.html'), html);

const files = ['index.html', ...readdirSync(join(out, 'assets')).map((f) => `assets/${f}`)];
for (const file of files) {
  const body = readFileSync(join(out, file));
  writeFileSync(join(out, `${file}.gz`), gzipSync(body, { level: 9 }));
  writeFileSync(join(out, `${file}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  const kib = (f) => (statSync(join(out, f)).size / 1024).toFixed(1);
  console.log(`web: ${file} ${kib(file)} KiB (gzip ${kib(`${file}.gz`)}, br ${kib(`${file}.br`)})`);
}
