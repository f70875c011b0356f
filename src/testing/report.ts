/**
 * How `caxton test` shows results: one line per case, then for each failure the expectation, what
 * happened, a diff for text, the tool calls with arguments and results, and the rendered prompt; a
 * JUnit XML report (junit-report-builder) for CI, one test suite per scenario file.
 */
import junit, { type Builder } from 'junit-report-builder';
import type { CaseResult, TestReport } from './runner.js';
import { formatTrace } from './trace.js';

const indent = (text: string, by = '    ') => text.replace(/^/gm, by);

/** The details of a failed case, as printed under its line. */
export function failureDetails(r: CaseResult): string {
  const out: string[] = [];
  for (const f of r.failures) {
    out.push(`  ✗ ${f.assertion}: expected ${f.expected}`, `    got: ${f.actual}`);
    if (f.diff) out.push(indent(f.diff));
  }
  out.push('  reply:', indent(r.reply || '(empty)'));
  out.push(`  finish reason: ${r.finish_reason} · model calls: ${r.iterations} · $${r.cost_usd.toFixed(6)} · ${Math.round(r.latency_ms)} ms`);
  if (r.tool_calls.length) {
    out.push('  tool calls:');
    for (const c of r.tool_calls) {
      out.push(`    ${c.name}(${JSON.stringify(c.arguments)}) ${c.is_error ? 'failed:' : '->'} ${c.result.slice(0, 300)}${c.mocked ? ' [mocked]' : ''}`);
    }
  }
  if (r.prompt.length) out.push(...promptLines(r));
  return out.join('\n');
}

/** The rendered prompt as indented lines (role, then content). */
const promptLines = (r: CaseResult): string[] => ['  prompt:', ...r.prompt.map((m) => `    [${m.role}] ${(m.content ?? '').replace(/\n/g, '\n      ')}`)];

/**
 * The human report: a line per case (failures detailed), notes, written cassettes and a summary
 * line; with `trace`, every case's rendered prompt and steps too.
 */
export function formatReport(report: TestReport, trace = false): string {
  const lines: string[] = [];
  for (const r of report.cases) {
    lines.push(`${r.passed ? '✓' : '✗'} ${r.file} › ${r.name} (${Math.round(r.duration_ms)} ms)`);
    for (const n of r.notes) lines.push(`  note: ${n}`);
    if (!r.passed) lines.push(failureDetails(r));
    if (trace) lines.push(...(r.passed && r.prompt.length ? promptLines(r) : []), '  trace:', formatTrace(r.trace));
  }
  for (const c of report.cassettes) lines.push(`cassette written: ${c}`);
  const total = report.passed + report.failed;
  lines.push(
    `${report.failed === 0 ? 'ok' : 'FAILED'}: ${report.passed} of ${total} case${total === 1 ? '' : 's'} passed in ${Math.round(report.duration_ms)} ms`,
  );
  return `${lines.join('\n')}\n`;
}

/** Write `report` as JUnit XML to `file`: a suite per scenario file, a test case per case (failure text = the details). */
export function writeJunit(report: TestReport, file: string): void {
  // A CommonJS module whose types describe the namespace: at run time the default import is the builder.
  const builder = (junit as unknown as Builder).newBuilder();
  const suites = new Map<string, ReturnType<typeof builder.testSuite>>();
  for (const r of report.cases) {
    let suite = suites.get(r.file);
    if (!suite) suites.set(r.file, (suite = builder.testSuite().name(r.file)));
    const tc = suite
      .testCase()
      .className(`${r.file} ${r.target}`)
      .name(r.name)
      .time(r.duration_ms / 1000);
    if (!r.passed) tc.failure(r.failures.map((f) => `${f.assertion}: expected ${f.expected}; got ${f.actual}`).join('\n')).standardOutput(failureDetails(r));
    else if (r.notes.length) tc.standardOutput(r.notes.join('\n'));
  }
  builder.writeTo(file);
}
