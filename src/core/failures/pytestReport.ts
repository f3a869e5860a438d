// pytest's reports: the JUnit XML it writes with `-o junit_family=xunit1` (file and 0-based line
// per test case), and the JSON-lines events of Ducktrace's plugin (ducktrace_pytest.py), which
// give the collected tests with their locations and, when a run had to be killed, what finished.
import { pythonExpectedActual } from './assertionValues';
import { pythonFrames } from './frames';
import { resolvePath } from './paths';
import { capText, testIdOf, type DiscoveredTest, type TestCaseResult, type TestFailure, type TestOutcome } from './testFailure';
import { descendants, parseXml, type XmlElement } from './xml';

export interface PytestPaths {
  /** pytest's rootdir: node ids and report paths are relative to it. */
  readonly rootdir: string;
  /** Where pytest ran: traceback paths are relative to it. Defaults to rootdir. */
  readonly cwd?: string;
}

/** `tests/test_x.py::TestA::test_b[1]` -> file, suites, name. */
export function splitNodeId(nodeId: string): { file: string; suitePath: string[]; name: string } {
  const parts = nodeId.split('::');
  const file = parts[0];
  if (parts.length === 1) return { file, suitePath: [], name: file };
  return { file, suitePath: parts.slice(1, -1), name: parts[parts.length - 1] };
}

/** The `E   ` lines of a pytest failure text: the exception and pytest's explanation. */
export function pytestErrorLines(longrepr: string): string {
  const lines = longrepr.split(/\r?\n/).filter((l) => /^E(\s|$)/.test(l));
  const stripped = lines.map((l) => l.replace(/^E {0,3}/, ''));
  return stripped.join('\n').trim();
}

function cleanMessage(message: string): string {
  return message.replace(/^ducktrace_pytest\.DucktraceTimeout: /, 'Timeout: ').trim();
}

function framesOf(text: string, cwd: string) {
  const frames = pythonFrames(text, cwd);
  if (frames.length) return frames;
  // A syntax error while importing a test module: pytest shows only its own frames, and the
  // location of the error as `File "...", line N` inside the `E` lines.
  const m = /File "([^"]+)", line (\d+)/.exec(text);
  return m ? pythonFrames(`  File "${m[1]}", line ${m[2]}`, cwd) : [];
}

interface RawResult {
  nodeId: string;
  line?: number;
  outcome: TestOutcome;
  durationMs?: number;
  message: string;
  longrepr: string;
  output: string;
  fileLevel: boolean;
}

function toResult(raw: RawResult, paths: PytestPaths): TestCaseResult {
  const cwd = paths.cwd ?? paths.rootdir;
  const { file: relFile, suitePath, name } = splitNodeId(raw.nodeId);
  const file = resolvePath(paths.rootdir, relFile);
  const testId = raw.fileLevel ? testIdOf(file, [], '(collection)') : testIdOf(file, suitePath, name);
  const output = capText([raw.longrepr, raw.output].filter((s) => s.trim()).join('\n\n'));
  let failure: TestFailure | undefined;
  if (raw.outcome === 'failed') {
    const message = cleanMessage(raw.message || pytestErrorLines(raw.longrepr) || 'failed');
    const values = pythonExpectedActual(message);
    failure = {
      testId,
      framework: 'pytest',
      file,
      line: raw.line ?? 0,
      name: raw.fileLevel ? relFile : name,
      message,
      ...(values ?? {}),
      stack: framesOf(raw.longrepr, cwd),
      output,
      ...(/^Timeout: /.test(message) ? { timedOut: true } : {}),
    };
  }
  return {
    testId,
    framework: 'pytest',
    file,
    ...(raw.line !== undefined ? { line: raw.line } : {}),
    name: raw.fileLevel ? '(collection)' : name,
    suitePath: raw.fileLevel ? [] : suitePath,
    outcome: raw.outcome,
    ...(raw.durationMs !== undefined ? { durationMs: raw.durationMs } : {}),
    output,
    ...(failure ? { failure } : {}),
    nodeId: raw.nodeId,
    ...(raw.fileLevel ? { fileLevel: true } : {}),
  };
}

/** The node id pytest would print for a JUnit test case (xunit1 has `file`; classname holds the classes). */
function nodeIdOf(testcase: XmlElement): { nodeId: string; fileLevel: boolean } {
  const { classname = '', name = '', file } = testcase.attributes;
  if (!classname && file) return { nodeId: file, fileLevel: true };
  const relFile = file ?? `${classname.split('.').join('/')}.py`;
  const module = relFile.replace(/\.py$/, '').split(/[\\/]/).join('.');
  let classes: string[] = [];
  if (classname.startsWith(`${module}.`)) classes = classname.slice(module.length + 1).split('.');
  else if (classname !== module) {
    // rootdir-relative import names differ from the path: take what follows the module's name.
    const parts = classname.split('.');
    const base = module.split('.').pop();
    const at = parts.lastIndexOf(base ?? '');
    classes = at >= 0 ? parts.slice(at + 1) : [];
  }
  return { nodeId: [relFile, ...classes, name].join('::'), fileLevel: false };
}

/** `junit_logging=all` writes a `--- Captured X ---` header even above nothing. */
function withoutEmptySections(text: string): string {
  const parts = text.split(/^(-{3,} Captured \w+ -{3,})$/m);
  let out = parts[0].trim() ? parts[0] : '';
  for (let i = 1; i < parts.length; i += 2) {
    const body = (parts[i + 1] ?? '').trim();
    if (body) out += `${parts[i]}\n${body}\n`;
  }
  return out.trim();
}

/** Parses pytest's JUnit XML (`--junitxml=F -o junit_family=xunit1`). */
export function parsePytestJunit(xml: string, paths: PytestPaths): TestCaseResult[] {
  const root = parseXml(xml);
  const results: TestCaseResult[] = [];
  for (const tc of descendants(root, 'testcase')) {
    const { nodeId, fileLevel } = nodeIdOf(tc);
    const child = (n: string) => tc.children.find((c) => c.name === n);
    const problem = child('failure') ?? child('error');
    const skipped = child('skipped');
    const line = tc.attributes.line !== undefined ? Number(tc.attributes.line) + 1 : undefined;
    const output = ['system-out', 'system-err']
      .map((n) => withoutEmptySections(child(n)?.text ?? ''))
      .filter((t) => t.trim())
      .join('\n');
    const time = tc.attributes.time !== undefined ? Number(tc.attributes.time) * 1000 : undefined;
    const isCollection = problem?.attributes.message === 'collection failure';
    results.push(
      toResult(
        {
          nodeId,
          ...(line !== undefined && Number.isFinite(line) ? { line } : {}),
          outcome: problem ? 'failed' : skipped ? 'skipped' : 'passed',
          ...(time !== undefined && Number.isFinite(time) ? { durationMs: time } : {}),
          message: problem && !isCollection ? (problem.attributes.message ?? '') : '',
          longrepr: problem?.text ?? '',
          output,
          fileLevel,
        },
        paths,
      ),
    );
  }
  return results;
}

// ---- the plugin's events ----

export interface PytestEvents {
  rootdir?: string;
  collected: { nodeId: string; file: string; line: number; name: string }[];
  collectionErrors: { nodeId: string; longrepr: string }[];
  collectionFinished: boolean;
  started: string[];
  finished: Set<string>;
  /** Per node id, the reports of its phases (setup, call, teardown) that matter. */
  reports: Map<string, { when: string; outcome: string; duration: number; line: number; longrepr: string; sections: [string, string][] }[]>;
}

export function parsePytestEvents(text: string): PytestEvents {
  const events: PytestEvents = { collected: [], collectionErrors: [], collectionFinished: false, started: [], finished: new Set(), reports: new Map() };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line cut short by a killed process
    }
    const s = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : '');
    const n = (k: string) => (typeof e[k] === 'number' ? (e[k] as number) : 0);
    switch (e.event) {
      case 'session':
        events.rootdir = s('rootdir');
        break;
      case 'collected':
        events.collected.push({ nodeId: s('nodeid'), file: s('file'), line: n('line') + 1, name: s('name') });
        break;
      case 'collectError':
        events.collectionErrors.push({ nodeId: s('nodeid'), longrepr: s('longrepr') });
        break;
      case 'collectionFinished':
        events.collectionFinished = true;
        break;
      case 'start':
        events.started.push(s('nodeid'));
        break;
      case 'finish':
        events.finished.add(s('nodeid'));
        break;
      case 'report': {
        const list = events.reports.get(s('nodeid')) ?? [];
        const sections = Array.isArray(e.sections) ? (e.sections as [string, string][]) : [];
        list.push({ when: s('when'), outcome: s('outcome'), duration: n('duration'), line: n('line') + 1, longrepr: s('longrepr'), sections });
        events.reports.set(s('nodeid'), list);
        break;
      }
      default:
        break;
    }
  }
  return events;
}

/** The tests the plugin saw collected, as discovered tests (collection errors left out). */
export function discoveredFromEvents(events: PytestEvents, paths: PytestPaths): DiscoveredTest[] {
  return events.collected.map((c) => {
    const { file: relFile, suitePath, name } = splitNodeId(c.nodeId);
    const file = resolvePath(paths.rootdir, relFile);
    return { testId: testIdOf(file, suitePath, name), framework: 'pytest', file, line: c.line, name, suitePath, nodeId: c.nodeId };
  });
}

/** Results of the tests that finished, from the plugin's events (used when a run was killed). */
export function resultsFromEvents(events: PytestEvents, paths: PytestPaths): TestCaseResult[] {
  const results: TestCaseResult[] = [];
  for (const err of events.collectionErrors) {
    results.push(toResult({ nodeId: err.nodeId, outcome: 'failed', message: '', longrepr: err.longrepr, output: '', fileLevel: true }, paths));
  }
  const lines = new Map(events.collected.map((c) => [c.nodeId, c.line]));
  for (const nodeId of events.finished) {
    const reports = events.reports.get(nodeId) ?? [];
    const failed = reports.find((r) => r.outcome === 'failed');
    const skipped = reports.find((r) => r.outcome === 'skipped');
    const call = reports.find((r) => r.when === 'call');
    const shown = failed ?? skipped ?? call;
    const output = (shown?.sections ?? []).map(([title, body]) => `--- ${title} ---\n${body}`).join('\n');
    const line = lines.get(nodeId) ?? shown?.line;
    results.push(
      toResult(
        {
          nodeId,
          ...(line !== undefined ? { line } : {}),
          outcome: failed ? 'failed' : skipped ? 'skipped' : 'passed',
          durationMs: reports.reduce((sum, r) => sum + r.duration * 1000, 0),
          message: '',
          longrepr: failed?.longrepr ?? '',
          output,
          fileLevel: false,
        },
        paths,
      ),
    );
  }
  return results;
}

/** A failed result for a test that never finished because its run was killed. */
export function hungResult(nodeId: string, paths: PytestPaths, line: number | undefined, seconds: number): TestCaseResult {
  return toResult(
    { nodeId, ...(line !== undefined ? { line } : {}), outcome: 'failed', message: `Timeout: the test did not finish within ${seconds} s; Ducktrace killed its process tree`, longrepr: '', output: '', fileLevel: false },
    paths,
  );
}
