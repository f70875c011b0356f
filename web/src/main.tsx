/**
 * The dashboard's entry: the shell (navigation, who you are, sign-in/out) and the router over the
 * page paths the daemon answers with index.html (src/api/dashboard.ts). The agent editor, with
 * CodeMirror, is a separate chunk loaded the first time it is opened.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { logout } from './api';
import { Link } from './link';
import { connectLive, disconnectLive, liveConnected, loadAgents, loadMe, me, navigate, route } from './state';
import { LoginPage } from './pages/login';
import { AgentsPage } from './pages/agents';
import { ChatPage } from './pages/chat';
import { RunsPage } from './pages/runs';
import { LogsPage } from './pages/logs';
import { SystemPage } from './pages/system';
import { PendingBadge } from './pages/pending';
import './style.css';

/** The editor page, loaded on first use. */
function LazyEditor({ name }: { name?: string }) {
  const [Page, setPage] = useState<ComponentType<{ name?: string }> | undefined>(undefined);
  useEffect(() => void import('./pages/editor').then((m) => setPage(() => m.EditorPage)), []);
  return Page ? <Page {...(name ? { name } : {})} /> : <p role="status">Loading the editor…</p>;
}

function Page() {
  const path = route.value;
  const admin = me.value?.acting_admin === true;
  if (path === '/chat') return <ChatPage />;
  if (path === '/runs') return <RunsPage />;
  if (path === '/logs') return admin ? <LogsPage /> : <p>Only the admin can read the daemon log.</p>;
  if (path === '/system') return <SystemPage />;
  if (path === '/new') return <LazyEditor />;
  if (path.startsWith('/edit/')) return <LazyEditor name={decodeURIComponent(path.slice(6))} />;
  if (path === '/login') return <LoginPage />;
  return <AgentsPage />;
}

async function signOut() {
  await logout();
  disconnectLive();
  await loadMe();
  if (me.value) {
    connectLive();
    await loadAgents();
  }
  navigate('/');
}

function App() {
  const who = me.value;
  if (who === undefined) return <p role="status">Loading…</p>;
  if (who === null) return <LoginPage />;
  const admin = who.acting_admin;
  return (
    <>
      <header>
        <nav aria-label="Main">
          <strong class="brand">Caxton</strong>
          <Link href="/">Agents</Link>
          <Link href="/chat">Chat</Link>
          <Link href="/runs">Runs</Link>
          <PendingBadge />
          {admin && <Link href="/logs">Logs</Link>}
          <Link href="/system">System</Link>
        </nav>
        <div class="who">
          <span class={liveConnected.value ? 'dot on' : 'dot'} title={liveConnected.value ? 'live' : 'reconnecting'} aria-hidden="true" />
          <span data-testid="whoami">
            {who.email ?? who.handle}
            {admin ? ' (admin)' : ''}
          </span>
          {who.email ? (
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          ) : (
            <Link href="/login">Sign in</Link>
          )}
        </div>
      </header>
      <main>
        <Page />
      </main>
    </>
  );
}

/**
 * Who we are and the agents, asked at once (the agent list is dropped when a sign-in is needed);
 * the live stream connects once both are in, so it does not compete with the first page.
 */
async function start() {
  const agentsLoaded = loadAgents().catch(() => undefined);
  await loadMe();
  if (!me.value) return;
  await agentsLoaded;
  connectLive();
}

render(<App />, document.getElementById('app')!);
void start();
