/**
 * A stack of release steps: what start-up created is released last created first, on failure and at
 * shutdown, each step tried even when an earlier one throws.
 */

/** Release steps pushed as parts are created. */
export interface Cleanup {
  /** Add the release of something just created. */
  push(step: () => void): void;
  /** Run every step pushed so far, last first, ignoring failures; the stack is empty afterwards. Never throws. */
  run(): void;
}

/** An empty cleanup stack. */
export function createCleanup(): Cleanup {
  const steps: (() => void)[] = [];
  return {
    push: (step) => void steps.push(step),
    run() {
      while (steps.length) {
        try {
          steps.pop()!();
        } catch {
          /* best effort: the remaining steps still run */
        }
      }
    },
  };
}
