/**
 * A module-resolution log for tests: `node --import <this file>` (via NODE_OPTIONS) with
 * CAXTON_TEST_MODULE_LOG=FILE appends every `@opentelemetry/*` specifier the process resolves to FILE,
 * one a line, so a test can tell from Node's own loader which OpenTelemetry packages a process loaded.
 */
import { register } from 'node:module';

const file = process.env.CAXTON_TEST_MODULE_LOG;
if (file) register(new URL('./module-log-hooks.mjs', import.meta.url), { data: { file } });
