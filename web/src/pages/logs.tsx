/**
 * Logs (admin): the daemon log as it is written, from the live stream's `log` events, filtered by
 * least level and by text; pausing freezes the view while lines keep arriving.
 */
import { useState } from 'preact/hooks';
import { logLines } from '../state';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function LogsPage() {
  const [level, setLevel] = useState('info');
  const [text, setText] = useState('');
  const [frozen, setFrozen] = useState<Record<string, unknown>[] | undefined>(undefined);
  const lines = frozen ?? logLines.value;
  const least = LEVELS.indexOf(level);
  const needle = text.toLowerCase();
  const shown = lines.filter((l) => LEVELS.indexOf(String(l.level)) >= least && (!needle || JSON.stringify(l).toLowerCase().includes(needle)));
  return (
    <section aria-labelledby="logs-title">
      <h1 id="logs-title">Logs</h1>
      <div class="filters">
        <label>
          Level
          <select value={level} onChange={(e) => setLevel((e.currentTarget as HTMLSelectElement).value)}>
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          Text
          <input type="search" value={text} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="button" aria-pressed={frozen !== undefined} onClick={() => setFrozen(frozen ? undefined : logLines.value)}>
          {frozen ? 'Resume' : 'Pause'}
        </button>
      </div>
      <ol class="log" aria-label="Log lines" data-testid="log-lines">
        {shown.map((l, i) => (
          <li key={i} class={`lvl-${String(l.level)}`}>
            <time>{String(l.time ?? '')}</time> <b>{String(l.level ?? '')}</b> {l.component ? <i>[{String(l.component)}]</i> : null} {String(l.msg ?? '')}
          </li>
        ))}
      </ol>
    </section>
  );
}
