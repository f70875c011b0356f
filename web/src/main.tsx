/**
 * The dashboard's entry: the shell (navigation, who you are, sign-in/out) and the router over the
 * page paths the daemon answers with index.html (src/api/dashboard.ts). The first paint needs only
 * the shell, the Agents page and the sign-in page; every other page, and the pending-approvals badge,
 * is a chunk of its own loaded on first use (lazy.tsx), the small pages fetched ahead once the first
 * page is up and the browser is idle; the agent editor (with CodeMirror, ~150 KB gzipped) only when it
 * is opened.
 */
import { render } from 'preact';
import { logout } from './api';
import { lazyComponent, whenIdle } from './lazy';
import { Link } from './link';
import { connectLive, disconnectLive, liveConnected, loadAgents, loadMe, me, navigate, route } from './state';
import { LoginPage } from './pages/login';
import { AgentsPage } from './pages/agents';
import './style.css';
import './approvals.css';

const Chat = lazyComponent(() => import('./pages/chat').then((m) => m.ChatPage));
const Runs = lazyComponent(() => import('./pages/runs').then((m) => m.RunsPage));
const Memory = lazyComponent(() => import('./pages/memory').then((m) => m.MemoryPage));
const Logs = lazyComponent(() => import('./pages/logs').then((m) => m.LogsPage));
const System = lazyComponent(() => import('./pages/system').then((m) => m.SystemPage));
const Editor = lazyComponent(() => import('./pages/editor').then((m) => m.EditorPage));
/** The navigation's count of runs waiting for approval: shown once loaded, with no placeholder. */
const PendingBadge = lazyComponent(() => import('./pages/pending').then((m) => m.PendingBadge), null);

function Page() {
  const path = route.value;
  const admin = me.value?.acting_admin === true;
  if (path === '/chat') return <Chat.Page />;
  if (path === '/runs') return <Runs.Page />;
  if (path === '/memory') return <Memory.Page />;
  if (path === '/logs') return admin ? <Logs.Page /> : <p>Only the admin can read the daemon log.</p>;
  if (path === '/system') return <System.Page />;
  if (path === '/new') return <Editor.Page />;
  if (path.startsWith('/edit/')) return <Editor.Page name={decodeURIComponent(path.slice(6))} />;
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
          <PendingBadge.Page />
          <Link href="/memory">Memory</Link>
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
 * the live stream connects once both are in, so it does not compete with the first page, and the
 * small page chunks are fetched when the browser is next idle, so moving to them shows no wait.
 */
async function start() {
  const agentsLoaded = loadAgents().catch(() => undefined);
  await loadMe();
  if (!me.value) return;
  await agentsLoaded;
  connectLive();
  whenIdle(() => [Chat, Runs, Memory, System, ...(me.value?.acting_admin ? [Logs] : [])].forEach((p) => void p.preload().catch(() => undefined)));
}

render(<App />, document.getElementById('app')!);
void start();
