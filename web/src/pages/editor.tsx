/**
 * The agent editor: the definition as text (TOON, TOML or JSON) in CodeMirror and as a form (name,
 * description, model, tools, capabilities, system prompt, parameters, memory, limits), kept in sync
 * both ways: a form edit rewrites the text, a text edit that parses refills the form. The daemon
 * validates (`POST /api/agents/import?dry_run=true` with the text; there is no second validator in
 * the browser) and its diagnostics are shown at line:col with their hints and marked in the editor;
 * save creates (`POST /api/agents/import`) or replaces (`PUT /api/agents/NAME`) through the API.
 */
import { decode as decodeToon, encode as encodeToon } from '@toon-format/toon';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, apiText, ApiError, send, errorOf, type ErrorDetail } from '../api';
import { mountEditor, type CodeEditor, type Format } from '../editor/code';
import { loadAgents, navigate } from '../state';

type Agent = Record<string, unknown>;

/** Content type of each format, as the API takes them. */
const TYPES: Record<Format, string> = { toon: 'text/x-toon', toml: 'application/toml', json: 'application/json' };

function write(agent: Agent, format: Format): string {
  if (format === 'toon') return `${encodeToon(agent)}\n`;
  if (format === 'toml') return stringifyToml(agent);
  return `${JSON.stringify(agent, null, 2)}\n`;
}

/** The text as an object, or undefined while it does not parse (the daemon then says where). */
function read(text: string, format: Format): Agent | undefined {
  try {
    const v = format === 'toon' ? decodeToon(text) : format === 'toml' ? parseToml(text) : JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Agent) : undefined;
  } catch {
    return undefined;
  }
}

/** `agent` with `key` set to `value`, or without it when `value` is empty. */
function withField(agent: Agent, key: string, value: unknown): Agent {
  const next = { ...agent };
  if (value === '' || value === undefined || (Array.isArray(value) && value.length === 0 && key !== 'tools')) delete next[key];
  else next[key] = value;
  return next;
}

const NEW_AGENT: Agent = { name: 'my-agent', description: 'What this agent is for', system_prompt: 'You are a helpful assistant.', tools: [] };
const LIMITS = ['max_tool_iterations', 'max_run_seconds', 'max_tokens_per_run', 'max_tool_calls_per_run'] as const;

/** A JSON-valued field (parameters, memory) edited as JSON text; applied when it parses. */
function JsonField(props: { label: string; value: unknown; onChange: (v: unknown) => void; error?: string | undefined }) {
  const [text, setText] = useState(props.value === undefined ? '' : JSON.stringify(props.value));
  const [bad, setBad] = useState(false);
  useEffect(() => setText(props.value === undefined ? '' : JSON.stringify(props.value)), [JSON.stringify(props.value)]);
  return (
    <label>
      {props.label} (JSON)
      <input
        value={text}
        aria-invalid={bad || !!props.error}
        onInput={(e) => {
          const t = (e.currentTarget as HTMLInputElement).value;
          setText(t);
          try {
            props.onChange(t.trim() === '' ? undefined : JSON.parse(t));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {props.error && <span class="field-error">{props.error}</span>}
    </label>
  );
}

export function EditorPage({ name }: { name?: string }) {
  const [format, setFormat] = useState<Format>('toon');
  const [agent, setAgent] = useState<Agent>(NEW_AGENT);
  const [diagnostics, setDiagnostics] = useState<ErrorDetail[]>([]);
  const [message, setMessage] = useState('');
  const [models, setModels] = useState<string[]>([]);
  const [tools, setTools] = useState<string[]>([]);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<CodeEditor | undefined>(undefined);
  const text = useRef('');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const formatRef = useRef<Format>('toon');

  /** Ask the daemon to validate the text (debounced); its located errors are shown and marked. */
  const validateSoon = (body: string, fmt: Format) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      const res = await send('/api/agents/import?dry_run=true', { method: 'POST', text: body, type: TYPES[fmt] });
      const details = res.ok ? [] : (await errorOf(res)).details;
      setDiagnostics(details);
      editor.current?.markErrors(details.map((d) => d.line ?? 0));
    }, 300);
  };
  const showText = (next: string, fmt: Format) => {
    text.current = next;
    editor.current?.set(next, fmt);
    validateSoon(next, fmt);
  };
  /** A form edit: the agent changes and the text is rewritten from it. */
  const setField = (key: string, value: unknown) => {
    const next = withField(agent, key, value);
    setAgent(next);
    showText(write(next, format), format);
  };

  useEffect(() => {
    void api<{ models: { name: string }[] }>('/api/models').then((r) => setModels(r.models.map((m) => m.name)));
    void api<{ tools: { name: string }[] }>('/api/tools').then((r) => setTools(r.tools.map((t) => t.name)));
    const onText = (next: string) => {
      text.current = next;
      const parsed = read(next, formatRef.current);
      if (parsed) setAgent(parsed);
      validateSoon(next, formatRef.current);
    };
    editor.current = mountEditor(host.current!, '', 'toon', onText, 'Agent definition');
    const load = name ? apiText(`/api/agents/${encodeURIComponent(name)}?format=toon`) : Promise.resolve(write(NEW_AGENT, 'toon'));
    void load.then((t) => {
      setAgent(read(t, 'toon') ?? NEW_AGENT);
      showText(t, 'toon');
    });
    return () => editor.current?.destroy();
  }, [name]);

  const switchFormat = (fmt: Format) => {
    formatRef.current = fmt;
    setFormat(fmt);
    showText(write(agent, fmt), fmt);
  };
  const save = async () => {
    setMessage('');
    const opts = { text: text.current, type: TYPES[format] };
    try {
      if (name) await api(`/api/agents/${encodeURIComponent(name)}`, { method: 'PUT', ...opts });
      else await api('/api/agents/import', { method: 'POST', ...opts });
      setDiagnostics([]);
      editor.current?.markErrors([]);
      setMessage('Saved.');
      await loadAgents();
      const saved = String(agent.name ?? name);
      if (saved !== name) navigate(`/edit/${encodeURIComponent(saved)}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      setMessage(err.message);
      setDiagnostics(err.details);
      editor.current?.markErrors(err.details.map((d) => d.line ?? 0));
    }
  };
  const fieldError = (field: string) =>
    diagnostics.find((d) => d.field === field || d.field?.startsWith(`${field}.`) || d.field?.startsWith(`${field}[`))?.message;
  const str = (key: string) => (typeof agent[key] === 'string' ? (agent[key] as string) : '');
  const list = (key: string) => (Array.isArray(agent[key]) ? (agent[key] as string[]) : []);
  const input = (key: string, label: string) => (
    <label>
      {label}
      <input name={key} value={str(key)} aria-invalid={!!fieldError(key)} onInput={(e) => setField(key, (e.currentTarget as HTMLInputElement).value)} />
      {fieldError(key) && <span class="field-error">{fieldError(key)}</span>}
    </label>
  );
  const chosen = list('tools');

  return (
    <section aria-labelledby="editor-title" class="editor">
      <h1 id="editor-title">{name ? `Edit ${name}` : 'New agent'}</h1>
      <div class="editor-grid">
        <form class="agent-form" aria-label="Agent form" onSubmit={(e) => e.preventDefault()}>
          {input('name', 'Name')}
          {input('display_name', 'Display name')}
          {input('description', 'Description')}
          <label>
            Model
            <select name="model" value={str('model')} onChange={(e) => setField('model', (e.currentTarget as HTMLSelectElement).value)}>
              <option value="">(default)</option>
              {[...new Set([...models, ...(str('model') ? [str('model')] : [])])].map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
            {fieldError('model') && <span class="field-error">{fieldError('model')}</span>}
          </label>
          <fieldset>
            <legend>Tools</legend>
            {[...new Set([...tools, ...chosen])].map((t) => (
              <label key={t} class="check">
                <input
                  type="checkbox"
                  checked={chosen.includes(t)}
                  onChange={(e) => setField('tools', (e.currentTarget as HTMLInputElement).checked ? [...chosen, t] : chosen.filter((x) => x !== t))}
                />
                {t}
              </label>
            ))}
            {fieldError('tools') && <span class="field-error">{fieldError('tools')}</span>}
          </fieldset>
          <label>
            Capabilities (comma-separated)
            <input
              name="capabilities"
              value={list('capabilities').join(', ')}
              onChange={(e) =>
                setField(
                  'capabilities',
                  (e.currentTarget as HTMLInputElement).value
                    .split(',')
                    .map((s) => s.trim())
                    .filter(Boolean),
                )
              }
            />
          </label>
          <label>
            System prompt
            <textarea
              name="system_prompt"
              rows={5}
              value={str('system_prompt')}
              onInput={(e) => setField('system_prompt', (e.currentTarget as HTMLTextAreaElement).value)}
            />
            {fieldError('system_prompt') && <span class="field-error">{fieldError('system_prompt')}</span>}
          </label>
          <JsonField label="Parameters" value={agent.parameters} onChange={(v) => setField('parameters', v)} error={fieldError('parameters')} />
          <JsonField label="Memory" value={agent.memory} onChange={(v) => setField('memory', v)} error={fieldError('memory')} />
          <fieldset>
            <legend>Limits</legend>
            {LIMITS.map((k) => (
              <label key={k}>
                {k.replaceAll('_', ' ')}
                <input
                  type="number"
                  name={k}
                  min="1"
                  value={typeof agent[k] === 'number' ? String(agent[k]) : ''}
                  onInput={(e) => {
                    const v = (e.currentTarget as HTMLInputElement).value;
                    setField(k, v === '' ? undefined : Number(v));
                  }}
                />
                {fieldError(k) && <span class="field-error">{fieldError(k)}</span>}
              </label>
            ))}
          </fieldset>
        </form>
        <div class="code">
          <div class="toolbar">
            <label>
              Format
              <select name="format" value={format} onChange={(e) => switchFormat((e.currentTarget as HTMLSelectElement).value as Format)}>
                <option value="toon">TOON</option>
                <option value="toml">TOML</option>
                <option value="json">JSON</option>
              </select>
            </label>
            <button type="button" onClick={() => void save()}>
              Save
            </button>
          </div>
          <div ref={host} class="cm-host" data-testid="code" />
          {message && (
            <p role="status" data-testid="save-message">
              {message}
            </p>
          )}
          <ul class="diagnostics" aria-label="Problems" data-testid="diagnostics">
            {diagnostics.map((d, i) => (
              <li key={i} class="error">
                <button type="button" class="link" onClick={() => editor.current?.goTo(d.line ?? 1, d.col ?? 1)}>
                  {d.line !== undefined ? `${d.line}:${d.col ?? 1}` : (d.field ?? '')}
                </button>{' '}
                {d.code} {d.message}
                {d.hint ? <em> — {d.hint}</em> : null}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}
