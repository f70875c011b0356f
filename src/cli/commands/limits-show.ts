/** `caxton limits show [--user EMAIL]`: see limits.ts. */
export { show as run } from './limits.js';
