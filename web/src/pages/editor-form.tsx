/**
 * The form half of the agent editor (editor.tsx): name, display name, description, model, tools,
 * capabilities, system prompt, parameters, memory and limits. Each edit goes to `setField`, which
 * rewrites the text; each field shows the daemon's message for it (from the dry-run validation or a
 * refused save) under the input and marks the input `aria-invalid`.
 */
import { useEffect, useState } from 'preact/hooks';
import { list, str, type Agent } from '../editor/agent-text';

/** The numeric limits of an agent file, each shown as a number input named after its key. */
const LIMITS = ['max_tool_iterations', 'max_run_seconds', 'max_tokens_per_run', 'max_tool_calls_per_run'] as const;

/**
 * What each part of the form needs: the agent as last parsed, `setField` (a form edit: the agent
 * changes and the text is rewritten; an empty value removes the key) and `fieldError` (the daemon's
 * message for a field or anything under it, if any).
 */
export interface FormProps {
  agent: Agent;
  setField: (key: string, value: unknown) => void;
  fieldError: (field: string) => string | undefined;
}

/** The daemon's message under a field, or nothing. */
function FieldError({ message }: { message: string | undefined }) {
  return message ? <span class="field-error">{message}</span> : null;
}

/** A one-line text input for the string at `name`. */
function TextInput({ agent, setField, fieldError, name, label }: FormProps & { name: string; label: string }) {
  return (
    <label>
      {label}
      <input
        name={name}
        value={str(agent, name)}
        aria-invalid={!!fieldError(name)}
        onInput={(e) => setField(name, (e.currentTarget as HTMLInputElement).value)}
      />
      <FieldError message={fieldError(name)} />
    </label>
  );
}

/** The model, chosen from the daemon's models (plus the agent's own when it names one the daemon lacks). */
function ModelSelect({ agent, setField, fieldError, models }: FormProps & { models: string[] }) {
  const model = str(agent, 'model');
  return (
    <label>
      Model
      <select name="model" value={model} onChange={(e) => setField('model', (e.currentTarget as HTMLSelectElement).value)}>
        <option value="">(default)</option>
        {[...new Set([...models, ...(model ? [model] : [])])].map((m) => (
          <option key={m}>{m}</option>
        ))}
      </select>
      <FieldError message={fieldError('model')} />
    </label>
  );
}

/** A checkbox per tool the daemon offers, and per tool the agent names that the daemon lacks. */
function ToolChecks({ agent, setField, fieldError, tools }: FormProps & { tools: string[] }) {
  const chosen = list(agent, 'tools');
  return (
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
      <FieldError message={fieldError('tools')} />
    </fieldset>
  );
}

/** The capabilities as one comma-separated input, applied when it changes (blanks dropped). */
function CapabilitiesInput({ agent, setField }: FormProps) {
  return (
    <label>
      Capabilities (comma-separated)
      <input
        name="capabilities"
        value={list(agent, 'capabilities').join(', ')}
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
  );
}

/** The system prompt, as a five-row text area. */
function SystemPromptInput({ agent, setField, fieldError }: FormProps) {
  return (
    <label>
      System prompt
      <textarea
        name="system_prompt"
        rows={5}
        value={str(agent, 'system_prompt')}
        onInput={(e) => setField('system_prompt', (e.currentTarget as HTMLTextAreaElement).value)}
      />
      <FieldError message={fieldError('system_prompt')} />
    </label>
  );
}

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

/** The limits, one number input each (at least 1; empty removes the limit). */
function LimitFields({ agent, setField, fieldError }: FormProps) {
  return (
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
          <FieldError message={fieldError(k)} />
        </label>
      ))}
    </fieldset>
  );
}

/** The whole form, its fields in the order of an agent file; `models` and `tools` are what the daemon offers. */
export function AgentForm(props: FormProps & { models: string[]; tools: string[] }) {
  const { agent, setField, fieldError } = props;
  return (
    <form class="agent-form" aria-label="Agent form" onSubmit={(e) => e.preventDefault()}>
      <TextInput {...props} name="name" label="Name" />
      <TextInput {...props} name="display_name" label="Display name" />
      <TextInput {...props} name="description" label="Description" />
      <ModelSelect {...props} />
      <ToolChecks {...props} />
      <CapabilitiesInput {...props} />
      <SystemPromptInput {...props} />
      <JsonField label="Parameters" value={agent.parameters} onChange={(v) => setField('parameters', v)} error={fieldError('parameters')} />
      <JsonField label="Memory" value={agent.memory} onChange={(v) => setField('memory', v)} error={fieldError('memory')} />
      <LimitFields {...props} />
    </form>
  );
}
