/**
 * The agent editor: the definition as text (TOON, TOML or JSON) in CodeMirror and as a form (name,
 * description, model, tools, capabilities, system prompt, parameters, memory, limits; editor-form.tsx),
 * kept in sync both ways: a form edit rewrites the text, a text edit that parses refills the form. The
 * daemon validates (`POST /api/agents/import?dry_run=true` with the text; there is no second validator
 * in the browser) and its diagnostics are shown at line:col with their hints and marked in the editor;
 * save creates (`POST /api/agents/import`) or replaces (`PUT /api/agents/NAME`) through the API.
 */
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, apiText, ApiError, send, errorOf, type ErrorDetail } from '../api';
import { NEW_AGENT, read, TYPES, withField, write, type Agent } from '../editor/agent-text';
import { mountEditor, type CodeEditor, type Format } from '../editor/code';
import { loadAgents, navigate } from '../state';
import { AgentForm } from './editor-form';

/** The names of the models and tools the daemon offers (`GET /api/models`, `GET /api/tools`), empty until loaded. */
function useCatalog(): { models: string[]; tools: string[] } {
  const [models, setModels] = useState<string[]>([]);
  const [tools, setTools] = useState<string[]>([]);
  useEffect(() => {
    void api<{ models: { name: string }[] }>('/api/models').then((r) => setModels(r.models.map((m) => m.name)));
    void api<{ tools: { name: string }[] }>('/api/tools').then((r) => setTools(r.tools.map((t) => t.name)));
  }, []);
  return { models, tools };
}

/**
 * The daemon's diagnostics of the text: `validateSoon` asks it to validate (dry-run import, 300 ms
 * after the last call), `show` lists the diagnostics given and marks their lines in `editor`.
 */
function useDiagnostics(editor: RefObject<CodeEditor | undefined>) {
  const [diagnostics, setDiagnostics] = useState<ErrorDetail[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const show = (details: ErrorDetail[]) => {
    setDiagnostics(details);
    editor.current?.markErrors(details.map((d) => d.line ?? 0));
  };
  const validateSoon = (body: string, fmt: Format) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      const res = await send('/api/agents/import?dry_run=true', { method: 'POST', text: body, type: TYPES[fmt] });
      show(res.ok ? [] : (await errorOf(res)).details);
    }, 300);
  };
  return { diagnostics, show, validateSoon };
}

/**
 * CodeMirror, kept in `editor`, mounted in the returned `host` for as long as the page shows agent
 * `name` (a new agent's text when absent): each edit goes to `onText`, the loaded text to `onLoad`.
 */
function useCodeEditor(editor: RefObject<CodeEditor | undefined>, name: string | undefined, onText: (text: string) => void, onLoad: (text: string) => void) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    editor.current = mountEditor(host.current!, '', 'toon', onText, 'Agent definition');
    const load = name ? apiText(`/api/agents/${encodeURIComponent(name)}?format=toon`) : Promise.resolve(write(NEW_AGENT, 'toon'));
    void load.then(onLoad);
    return () => editor.current?.destroy();
  }, [name]);
  return host;
}

/** Saves `text` as agent `name` (`PUT`) or as a new agent (`POST /api/agents/import`); throws the daemon's `ApiError` when it refuses. */
async function saveText(name: string | undefined, text: string, format: Format): Promise<void> {
  const opts = { text, type: TYPES[format] };
  if (name) await api(`/api/agents/${encodeURIComponent(name)}`, { method: 'PUT', ...opts });
  else await api('/api/agents/import', { method: 'POST', ...opts });
}

/**
 * The editor's state: the agent (as the form shows it), the text (in CodeMirror), its format, the
 * daemon's diagnostics and the last save's message, with the edits of each side applied to the other.
 */
function useAgentEditor(name: string | undefined) {
  const [format, setFormat] = useState<Format>('toon');
  const [agent, setAgent] = useState<Agent>(NEW_AGENT);
  const [message, setMessage] = useState('');
  const text = useRef('');
  const formatRef = useRef<Format>('toon');
  const editor = useRef<CodeEditor | undefined>(undefined);
  const { diagnostics, show, validateSoon } = useDiagnostics(editor);
  const showText = (next: string, fmt: Format) => {
    text.current = next;
    editor.current?.set(next, fmt);
    validateSoon(next, fmt);
  };
  const onText = (next: string) => {
    text.current = next;
    const parsed = read(next, formatRef.current);
    if (parsed) setAgent(parsed);
    validateSoon(next, formatRef.current);
  };
  const onLoad = (t: string) => {
    setAgent(read(t, 'toon') ?? NEW_AGENT);
    showText(t, 'toon');
  };
  const host = useCodeEditor(editor, name, onText, onLoad);
  const setField = (key: string, value: unknown) => {
    const next = withField(agent, key, value);
    setAgent(next);
    showText(write(next, format), format);
  };
  const switchFormat = (fmt: Format) => {
    formatRef.current = fmt;
    setFormat(fmt);
    showText(write(agent, fmt), fmt);
  };
  const save = async () => {
    setMessage('');
    try {
      await saveText(name, text.current, format);
      show([]);
      setMessage('Saved.');
      await loadAgents();
      const saved = String(agent.name ?? name);
      if (saved !== name) navigate(`/edit/${encodeURIComponent(saved)}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      setMessage(err.message);
      show(err.details);
    }
  };
  return { format, agent, message, diagnostics, host, editor, setField, switchFormat, save };
}

/** The text's format and the save button above the code. */
function Toolbar({ format, switchFormat, save }: { format: Format; switchFormat: (fmt: Format) => void; save: () => Promise<void> }) {
  return (
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
  );
}

/** The daemon's diagnostics, each at line:col (or its field) with code, message and hint; its place is a button moving the cursor there. */
function Problems({ diagnostics, goTo }: { diagnostics: ErrorDetail[]; goTo: (line: number, col: number) => void }) {
  return (
    <ul class="diagnostics" aria-label="Problems" data-testid="diagnostics">
      {diagnostics.map((d, i) => (
        <li key={i} class="error">
          <button type="button" class="link" onClick={() => goTo(d.line ?? 1, d.col ?? 1)}>
            {d.line !== undefined ? `${d.line}:${d.col ?? 1}` : (d.field ?? '')}
          </button>{' '}
          {d.code} {d.message}
          {d.hint ? <em> — {d.hint}</em> : null}
        </li>
      ))}
    </ul>
  );
}

/** The agent editor page: agent `name`, or a new agent when absent. */
export function EditorPage({ name }: { name?: string }) {
  const { models, tools } = useCatalog();
  const { format, agent, message, diagnostics, host, editor, setField, switchFormat, save } = useAgentEditor(name);
  const fieldError = (field: string) =>
    diagnostics.find((d) => d.field === field || d.field?.startsWith(`${field}.`) || d.field?.startsWith(`${field}[`))?.message;
  return (
    <section aria-labelledby="editor-title" class="editor">
      <h1 id="editor-title">{name ? `Edit ${name}` : 'New agent'}</h1>
      <div class="editor-grid">
        <AgentForm agent={agent} setField={setField} fieldError={fieldError} models={models} tools={tools} />
        <div class="code">
          <Toolbar format={format} switchFormat={switchFormat} save={save} />
          <div ref={host} class="cm-host" data-testid="code" />
          {message && (
            <p role="status" data-testid="save-message">
              {message}
            </p>
          )}
          <Problems diagnostics={diagnostics} goTo={(line, col) => editor.current?.goTo(line, col)} />
        </div>
      </div>
    </section>
  );
}
