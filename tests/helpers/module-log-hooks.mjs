/** The loader hooks of module-log.mjs: log `@opentelemetry/*` specifiers as they are resolved. */
import { appendFileSync } from 'node:fs';

let file = '';

/** Receives the log file from `register`. */
export function initialize(data) {
  file = data.file;
}

/** Log, then resolve as usual. */
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) appendFileSync(file, `${specifier}\n`);
  return next(specifier, context);
}
