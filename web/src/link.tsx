/** In-page links of the dashboard. */
import type { ComponentChildren } from 'preact';
import { navigate, route } from './state';

/** A nav link that routes in place (a real link, so it works with the keyboard and in a new tab). */
export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={route.value === props.href ? 'page' : undefined}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}
