/**
 * The code editor of the agent editor: CodeMirror 6 with syntax highlighting for TOON (a small stream
 * mode of our own: no TOON mode exists on npm), TOML (`@codemirror/legacy-modes`) and JSON
 * (`@codemirror/lang-json`), and the daemon's diagnostics marked on their lines. Loaded with the
 * editor page's chunk only.
 */
import { basicSetup, EditorView } from 'codemirror';
import { json } from '@codemirror/lang-json';
import { StreamLanguage, type StreamParser } from '@codemirror/language';
import { toml } from '@codemirror/legacy-modes/mode/toml';
import { Compartment, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, type DecorationSet } from '@codemirror/view';

/** The text formats an agent can be written in (as the API names them). */
export type Format = 'toon' | 'toml' | 'json';

/**
 * TOON (token-oriented object notation) as a CodeMirror stream mode: `key`, `key[N]` and
 * `key[N]{fields}` before a colon, list dashes, quoted strings, numbers, `true`/`false`/`null`, and
 * the `,` / `|` delimiters.
 */
export const toonMode: StreamParser<{ value: boolean }> = {
  name: 'toon',
  startState: () => ({ value: false }),
  token(stream, state) {
    if (stream.sol()) state.value = false;
    if (stream.eatSpace()) return null;
    if (!state.value) {
      if (stream.match(/^- /)) return 'punctuation';
      if (stream.match(/^(?:"(?:[^"\\]|\\.)*"|[^\s:[{]+)(?=(\[[^\]]*\])?(\{[^}]*\})?:)/)) return 'propertyName';
      if (stream.match(/^\[[^\]]*\]/)) return 'number';
      if (stream.match(/^\{[^}]*\}/)) return 'meta';
      if (stream.eat(':')) {
        state.value = true;
        return 'punctuation';
      }
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return 'string';
    if (stream.match(/^-?\d+(\.\d+)?([eE][+-]?\d+)?(?=[\s,|]|$)/)) return 'number';
    if (stream.match(/^(true|false|null)(?=[\s,|]|$)/)) return 'atom';
    if (stream.eat(/[,|]/)) return 'punctuation';
    if (!stream.match(/^[^,|"]+/)) stream.next();
    return 'string';
  },
};

const LANGUAGES: Record<Format, () => Extension> = {
  toon: () => StreamLanguage.define(toonMode),
  toml: () => StreamLanguage.define(toml),
  json: () => json(),
};

/** Set the lines (1-based) marked as having errors. */
const setErrorLines = StateEffect.define<number[]>();
const errorLines = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    marks = marks.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrorLines)) continue;
      const doc = tr.state.doc;
      const lines = [...new Set(e.value.filter((n) => n >= 1 && n <= doc.lines))].sort((a, b) => a - b);
      marks = Decoration.set(lines.map((n) => Decoration.line({ class: 'cm-error-line' }).range(doc.line(n).from)));
    }
    return marks;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** A mounted editor. */
export interface CodeEditor {
  /** Replace the text (and language) without calling `onChange`. */
  set(text: string, format: Format): void;
  /** Mark these 1-based lines as erroneous (replacing earlier marks). */
  markErrors(lines: number[]): void;
  /** Put the cursor at `line`:`col` (1-based) and focus the editor. */
  goTo(line: number, col: number): void;
  destroy(): void;
}

/** Mount an editor in `parent` holding `text` in `format`; `onChange` gets each text the user makes. */
export function mountEditor(parent: HTMLElement, text: string, format: Format, onChange: (text: string) => void, label: string): CodeEditor {
  const language = new Compartment();
  let quiet = false;
  const view = new EditorView({
    doc: text,
    parent,
    extensions: [
      basicSetup,
      language.of(LANGUAGES[format]()),
      errorLines,
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged && !quiet) onChange(u.state.doc.toString());
      }),
    ],
  });
  return {
    set(next, fmt) {
      quiet = true;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next }, effects: language.reconfigure(LANGUAGES[fmt]()) });
      quiet = false;
    },
    markErrors: (lines) => view.dispatch({ effects: setErrorLines.of(lines) }),
    goTo(line, col) {
      const doc = view.state.doc;
      const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
      view.dispatch({ selection: { anchor: Math.min(l.from + Math.max(col - 1, 0), l.to) }, scrollIntoView: true });
      view.focus();
    },
    destroy: () => view.destroy(),
  };
}
