/** Version and build facts, read once from package.json and dist/build-info.json next to the build. */
import { readFileSync } from 'node:fs';

/** `version` from package.json, `commit`/`built_at` from the build (or "unknown"), `node` = process.version. */
export interface VersionInfo {
  version: string;
  commit: string;
  built_at: string;
  node: string;
}

let cached: VersionInfo | undefined;
let pkgCache: Record<string, unknown> | undefined;

function readJson(url: URL): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** package.json of this build (this file lives in dist/ipc/, package.json two levels up); `{}` when unreadable. */
function packageJson(): Record<string, unknown> {
  return (pkgCache ??= readJson(new URL('../../package.json', import.meta.url)));
}

/** The Node.js versions this build supports: `engines.node` of package.json (e.g. `>=20.19`), or undefined. */
export function supportedNodeRange(): string | undefined {
  const engines = packageJson().engines as { node?: unknown } | undefined;
  return typeof engines?.node === 'string' ? engines.node : undefined;
}

/** Version info. */
export function versionInfo(): VersionInfo {
  if (!cached) {
    const pkg = packageJson();
    const build = readJson(new URL('../build-info.json', import.meta.url));
    cached = {
      version: String(pkg.version ?? '0.0.0'),
      commit: String(build.commit ?? 'unknown'),
      built_at: String(build.built_at ?? 'unknown'),
      node: process.version,
    };
  }
  return cached;
}
