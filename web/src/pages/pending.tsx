/**
 * Runs waiting for approval: a badge in the navigation with how many (it keeps the list current,
 * re-reading `GET /api/approvals` whenever a run starts or ends: a pause ends a run, a decision
 * starts its resumed run) and the list on the Runs page, each run linking to the chat that decides it.
 */
import { useEffect } from 'preact/hooks';
import { chatHref, loadPending, pendingApprovals } from '../approvals';
import { Link } from '../link';
import { runsVersion } from '../state';

/** The navigation's count of runs waiting for approval (nothing when none); keeps `pendingApprovals` current. */
export function PendingBadge() {
  const version = runsVersion.value;
  useEffect(() => void loadPending().catch(() => undefined), [version]);
  // Signed out (the header unmounts): forget the list, so the next identity never sees it.
  useEffect(() => () => void (pendingApprovals.value = []), []);
  const n = pendingApprovals.value.length;
  if (n === 0) return null;
  return (
    <Link href="/runs#pending-title" class="badge">
      <span data-testid="pending-count">{n}</span> waiting for approval
    </Link>
  );
}

/** The caller's runs waiting for approval, oldest first, each with its held calls and a link to decide it in the chat. */
export function PendingApprovals() {
  const list = pendingApprovals.value;
  return (
    <section class="pending" aria-labelledby="pending-title">
      <h2 id="pending-title">Waiting for approval</h2>
      {list.length === 0 ? (
        <p class="note" data-testid="pending-empty">
          No run waits for approval.
        </p>
      ) : (
        <ul data-testid="pending-list">
          {list.map((a) => (
            <li key={a.execution_id} data-pending={a.execution_id}>
              <Link href={chatHref(a)}>
                {a.agent}: {a.calls.map((c) => c.name).join(', ')}
              </Link>{' '}
              <span class="note">
                “{a.input}” · since {new Date(a.created_at).toLocaleTimeString()}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
