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

function readJson(url: URL): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Version info (this file lives in dist/ipc/, package.json two levels up). */
export function versionInfo(): VersionInfo {
  if (!cached) {
    const pkg = readJson(new URL('../../package.json', import.meta.url));
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
