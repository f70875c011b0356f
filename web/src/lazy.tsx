/**
 * Components loaded on first use: each `import()` given to `lazyComponent` becomes a chunk of its own
 * (esbuild splitting, scripts/build-web.mjs), so the first paint downloads only the shell and the
 * Agents page (issue requirement "initial JS < 50 KB gzipped", seed STORY-017 "loads within 200 ms").
 * A loaded component is kept, so going back to it renders at once; while a page loads, a small
 * "Loading…" line shows, faded in only after 150 ms (style.css `.loading`) so a quick load shows no flash.
 */
import type { ComponentType, VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A component loaded on first render, and `preload` to fetch it ahead (e.g. when the browser is idle). */
export interface LazyComponent<P> {
  Page: ComponentType<P>;
  preload: () => Promise<ComponentType<P>>;
}

/** The placeholder of a page still loading. */
const LOADING = (
  <p role="status" class="loading">
    Loading…
  </p>
);

/**
 * A component whose module `load` resolves to it, showing `placeholder` until then (the page
 * placeholder by default; null for a part of the shell); `load` runs once, a failure is retried on
 * the next mount.
 */
export function lazyComponent<P extends object>(load: () => Promise<ComponentType<P>>, placeholder: VNode | null = LOADING): LazyComponent<P> {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<ComponentType<P>> | undefined;
  const preload = () =>
    (pending ??= load().then(
      (c) => (loaded = c),
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    ));
  function Page(props: P) {
    const [Shown, setShown] = useState(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (!Shown)
        preload().then(
          (c) => setShown(() => c),
          () => setFailed(true),
        );
    }, []);
    if (Shown) return <Shown {...props} />;
    if (failed && placeholder) return <p role="alert">This page could not be loaded; check the connection and reload.</p>;
    return placeholder;
  }
  return { Page, preload };
}

/** Run `task` when the browser is idle (right away where `requestIdleCallback` is missing). */
export function whenIdle(task: () => void): void {
  if ('requestIdleCallback' in window) requestIdleCallback(task, { timeout: 2000 });
  else setTimeout(task, 0);
}
