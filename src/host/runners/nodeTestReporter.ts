// A reporter for node's built-in test runner (`node --test --test-reporter=<this file>`), bundled
// on its own into dist/nodeTestReporter.js. It runs inside the user's `node --test`, so it depends
// on nothing but Node: one JSON object per line for each event Ducktrace reads, errors flattened
// with their `cause`, expected and actual values (node's runner wraps the test's own error).
import { inspect } from 'node:util';

interface ReporterEvent {
  type: string;
  data: Record<string, unknown> & { details?: Record<string, unknown> };
}

const maxValueChars = 20_000;

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : inspect(value, { depth: 6, breakLength: 80 });
  return text.length > maxValueChars ? `${text.slice(0, maxValueChars)}…` : text;
}

function flattenError(error: unknown, depth = 0): Record<string, unknown> | undefined {
  if (error === undefined || error === null) return undefined;
  if (typeof error !== 'object') return { message: String(error) };
  const e = error as Record<string, unknown>;
  const out: Record<string, unknown> = {
    name: typeof e.name === 'string' ? e.name : undefined,
    message: typeof e.message === 'string' ? e.message : show(error),
    stack: typeof e.stack === 'string' ? e.stack : undefined,
    code: typeof e.code === 'string' ? e.code : undefined,
    failureType: typeof e.failureType === 'string' ? e.failureType : undefined,
  };
  if ('expected' in e || 'actual' in e) {
    out.expected = show(e.expected);
    out.actual = show(e.actual);
    out.operator = typeof e.operator === 'string' ? e.operator : undefined;
  }
  if (e.cause !== undefined && depth < 3) out.cause = flattenError(e.cause, depth + 1);
  return out;
}

export default async function* ducktraceReporter(source: AsyncIterable<ReporterEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    const { type, data } = event;
    switch (type) {
      case 'test:start':
      case 'test:pass':
      case 'test:fail': {
        const details = data.details ?? {};
        yield JSON.stringify({
          type,
          name: data.name,
          nesting: data.nesting,
          file: data.file,
          line: data.line,
          column: data.column,
          testNumber: data.testNumber,
          kind: details.type === 'suite' ? 'suite' : 'test',
          skip: data.skip !== undefined && data.skip !== false ? true : undefined,
          todo: data.todo !== undefined && data.todo !== false ? true : undefined,
          durationMs: typeof details.duration_ms === 'number' ? details.duration_ms : undefined,
          error: type === 'test:fail' ? flattenError(details.error) : undefined,
        }) + '\n';
        break;
      }
      // Progress (Node 20+): a test taken up for running, and a test that ended, in the order they
      // happen (test:pass/test:fail wait for earlier tests to be reported). When a test hangs and
      // Ducktrace stops the run, these say which one it was.
      case 'test:dequeue':
      case 'test:complete':
        yield JSON.stringify({ type, name: data.name, nesting: data.nesting, file: data.file, line: data.line, column: data.column }) + '\n';
        break;
      case 'test:stdout':
      case 'test:stderr':
        yield JSON.stringify({ type, file: data.file, message: show(data.message) }) + '\n';
        break;
      case 'test:diagnostic':
        yield JSON.stringify({ type, nesting: data.nesting, file: data.file, message: show(data.message) }) + '\n';
        break;
      default:
        break;
    }
  }
}
