/** `caxton create --config FILE [--public]` (SPEC §5): alias of `caxton agent create --from-file FILE`. */
export { run } from './agent-create.js';
