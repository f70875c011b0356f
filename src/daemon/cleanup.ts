/**
 * A stack of release steps: what start-up created is released last created first, on failure and at
 * shutdown, each step tried (and awaited, when it returns a promise) even when an earlier one fails.
 */

/** One release step; a returned promise is awaited before the next step runs. */
export type ReleaseStep = () => void | Promise<unknown>;

/** Release steps pushed as parts are created. */
export interface Cleanup {
  /** Add the release of something just created. */
  push(step: ReleaseStep): void;
  /**
   * Run every step pushed so far, last first, awaiting each and ignoring failures; the stack is empty
   * afterwards. Never rejects.
   */
  run(): Promise<void>;
}

/** An empty cleanup stack. */
export function createCleanup(): Cleanup {
  const steps: ReleaseStep[] = [];
  return {
    push: (step) => void steps.push(step),
    async run() {
      while (steps.length) {
        try {
          await steps.pop()!();
        } catch {
          /* best effort: the remaining steps still run */
        }
      }
    },
  };
}
