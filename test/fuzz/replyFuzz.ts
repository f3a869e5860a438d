// Fuzzes the reply parser and the fix applier with the saved replies of test/fixtures/replies/,
// mutated (truncated, spliced, fences duplicated, CRLF, tabs, unicode, random bytes, JSON broken)
// and generated from scratch (SEARCH/REPLACE, diffs and whole functions built from the target),
// against the fixture targets as LF, CRLF and without a final newline. Each case is parsed and
// applied through the checked path every editor and CLI path uses (applyFixInScope). Properties:
// - nothing throws out of parseReply or applyFixInScope;
// - every failure is a non-empty message;
// - an applied fix changes only lines inside the target function (with the decorators and comments
//   right above it, as the applier counts them) unless it reports `outsideTarget` with ranges;
// - outside the target, an applied fix only adds: every line there that is not an import is
//   still in the file, in order (what would be deleted or rewritten is refused);
// - the applied text keeps the file's line breaks (no bare LF in a CRLF file);
// - accepting the proposal old -> new and then the proposal new -> old restores the original
//   byte for byte.
// The slowest case (in CPU time) is recorded; with `maxCaseMs` set, a case slower than that fails.
import { readFileSync } from 'node:fs';
import { applyFixInScope, type ScopedFixTarget } from '../../src/core/duck/fixScope';
import { everyBlockCorrect, parseReply, type ReplyContext } from '../../src/core/duck/replyParser';
import { languageForFile } from '../../src/core/blocks/languages';
import { applyHunks, createProposal } from '../../src/core/patch/proposal';
import { fixturePath, parseSource, parser } from '../unit/support/fixtures';
import { replyFixtures } from '../unit/support/replyFixtures';
import { Random } from './random';

export interface ReplyFuzzTarget {
  readonly name: string;
  readonly text: string;
  readonly target: ScopedFixTarget;
  /** The target's blocks as a prompt would show them. */
  readonly blocks: readonly { id: string; startLine: number; endLine: number }[];
}

export interface ReplyFuzzCorpus {
  readonly replies: readonly { readonly reply: string; readonly target: string }[];
  /** Keyed by target file name; each has LF, CRLF and no-final-newline variants. */
  readonly targets: ReadonlyMap<string, readonly ReplyFuzzTarget[]>;
}

/** Reads the fixtures and finds each target function's range with tree-sitter (once). */
export async function loadReplyFuzzCorpus(): Promise<ReplyFuzzCorpus> {
  const fixtures = replyFixtures();
  const targets = new Map<string, ReplyFuzzTarget[]>();
  const seen = new Set<string>();
  for (const f of fixtures) {
    const key = `${f.expected.target}#${f.expected.function}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const source = readFileSync(fixturePath('replies', 'targets', f.expected.target), 'utf8');
    const language = languageForFile(f.expected.target)!;
    const parsed = await parseSource(source, language);
    try {
      const fn = parsed.functions.find((x) => x.qualifiedName === f.expected.function || x.name === f.expected.function)!;
      const target: ScopedFixTarget = { name: f.expected.function, range: fn.range, language, file: f.expected.target };
      const blocks = parsed.blocks(fn.qualifiedName).map((b) => ({ id: b.id, startLine: b.range.start.line, endLine: b.range.end.line }));
      const lf = source.replace(/\r\n/g, '\n');
      const variants: ReplyFuzzTarget[] = [
        { name: `${key} LF`, text: lf, target, blocks },
        { name: `${key} CRLF`, text: lf.replace(/\n/g, '\r\n'), target, blocks },
        { name: `${key} no final newline`, text: source.replace(/(\r?\n)+$/, ''), target, blocks },
      ];
      targets.set(f.expected.target, [...(targets.get(f.expected.target) ?? []), ...variants]);
    } finally {
      parsed.tree.delete();
    }
  }
  return { replies: fixtures.map((f) => ({ reply: f.reply, target: f.expected.target })), targets };
}

export interface ReplyFuzzCounts {
  cases: number;
  mutated: number;
  generated: number;
  parseErrors: number;
  parsedWithoutFix: number;
  fixes: number;
  applyErrors: number;
  applied: number;
  appliedInsideTarget: number;
  outsideTargetReported: number;
  unchanged: number;
  revertedExactly: number;
  /** Fixes refused because they would change more than the target (or no longer parse). */
  refusedOutOfScope: number;
  /** Applied fixes that changed something outside the target (only additions, all reported). */
  addedOutsideTarget: number;
  /** The slowest case: parse, apply and check, in milliseconds of CPU time. */
  slowestMs: number;
  slowestCase: string;
}

const oddText = ['😀', '名前', 'é', 'e\u0301', '\u200b', '\u202e', '\uFEFF', '\ud800', '\t', '\r', '\u0000', '\\', '"', '```', '~~~', '{', '}', '[', ']', ',', ':', '@@', '<<<<<<< SEARCH', '=======', '>>>>>>> REPLACE', '--- a/x', '+++ b/x', '\n'];

function randomBytes(r: Random, n: number): string {
  return Array.from({ length: n }, () => String.fromCharCode(r.int(256))).join('');
}

/** One or more mutations of a reply. */
function mutate(r: Random, reply: string, others: readonly string[]): string {
  let text = reply;
  const ops = 1 + r.int(3);
  for (let i = 0; i < ops; i++) {
    const at = r.int(text.length + 1);
    switch (r.int(12)) {
      case 0: // truncate
        text = text.slice(0, at);
        break;
      case 1: {
        // splice in a piece of another reply
        const other = r.pick(others);
        const from = r.int(other.length + 1);
        text = text.slice(0, at) + other.slice(from, from + r.int(400)) + text.slice(at);
        break;
      }
      case 2: {
        // duplicate a fenced block, or add a stray fence
        const m = /(```|~~~)[^\n]*\n[\s\S]*?\1/.exec(text);
        text = m && r.chance(0.7) ? text.slice(0, m.index) + m[0] + '\n' + m[0] + text.slice(m.index) : text.slice(0, at) + '\n```' + (r.chance(0.5) ? 'python' : '') + '\n' + text.slice(at);
        break;
      }
      case 3:
        text = r.chance(0.5) ? text.replace(/\r?\n/g, '\r\n') : text.replace(/\n/g, () => (r.chance(0.3) ? '\r\n' : r.chance(0.1) ? '\r' : '\n'));
        break;
      case 4:
        text = r.chance(0.5) ? text.replace(/^( {4})+/gm, (ws) => '\t'.repeat(ws.length / 4)) : text.replace(/^\t+/gm, (ws) => '  '.repeat(ws.length));
        break;
      case 5:
        text = text.slice(0, at) + r.pick(oddText) + text.slice(at);
        break;
      case 6:
        text = text.slice(0, at) + randomBytes(r, 1 + r.int(20)) + text.slice(at + r.int(5));
        break;
      case 7: {
        // corrupt JSON: delete, duplicate or swap one structural character
        const positions = [...text.matchAll(/[{}[\]",:]/g)].map((m) => m.index!);
        if (!positions.length) break;
        const p = r.pick(positions);
        const op = r.int(3);
        text = op === 0 ? text.slice(0, p) + text.slice(p + 1) : op === 1 ? text.slice(0, p) + text[p] + text.slice(p) : text.slice(0, p) + r.pick(['{', '}', '"', ',', ':', ']']) + text.slice(p + 1);
        break;
      }
      case 8: {
        // delete, duplicate or swap lines
        const lines = text.split('\n');
        const k = r.int(lines.length);
        const op = r.int(3);
        if (op === 0) lines.splice(k, 1 + r.int(3));
        else if (op === 1) lines.splice(k, 0, ...lines.slice(k, k + 1 + r.int(3)));
        else {
          const j = r.int(lines.length);
          [lines[k], lines[j]] = [lines[j]!, lines[k]!];
        }
        text = lines.join('\n');
        break;
      }
      case 9: // change indentation of one line
        text = text.replace(/\n([ \t]*)/g, (m, ws: string) => (r.chance(0.1) ? '\n' + (r.chance(0.5) ? ws + ' ' : ws.slice(1)) : m));
        break;
      case 10: // wrap or unwrap as JSON string / tool call
        text = r.chance(0.5) ? JSON.stringify(text) : JSON.stringify({ function: { name: 'report', arguments: text } });
        break;
      default: // repeat the whole reply
        text = text + '\n' + text;
    }
  }
  return text;
}

/** A fresh reply built from the target text: SEARCH/REPLACE, a unified diff, or a whole function. */
function generate(r: Random, t: ReplyFuzzTarget): string {
  const lines = t.text.replace(/\r\n/g, '\n').split('\n');
  const start = t.target.range.start.line - 1;
  const end = t.target.range.end.line - 1;
  // Mostly inside the target, sometimes anywhere in the file.
  const from = r.chance(0.8) ? start + r.int(end - start + 1) : r.int(lines.length);
  const count = 1 + r.int(Math.min(5, lines.length - from));
  const old = lines.slice(from, from + count);
  const edited = old.map((l) => (r.chance(0.4) ? l.replace(/\w+/, (w) => w + '_x') : l));
  if (r.chance(0.3)) edited.splice(r.int(edited.length + 1), 0, (/^[ \t]*/.exec(old[0] ?? '')![0] ?? '') + r.pick(['pass', 'x = 1', 'return 0', 'log(1);', '']));
  if (r.chance(0.15) && edited.length > 1) edited.splice(r.int(edited.length), 1);
  const indentShift = (ls: string[]) => (r.chance(0.2) ? ls.map((l) => l.replace(/^ {4}/, r.pick(['', '\t', '  ']))) : ls);
  const oldShown = indentShift(old);
  const newShown = r.chance(0.5) ? edited : indentShift(edited);
  const prose = r.pick(['The bug is an off-by-one.', 'SUMMARY: wrong bound.\nVERDICT b1: wrong | bad bound.', '', '**Why** it fails: 😀']);
  const fence = r.pick(['```', '```python', '```ts', '~~~']);
  const closing = fence.startsWith('~') ? '~~~' : '```';
  switch (r.int(4)) {
    case 0:
      return `${prose}\n\n${fence}\n<<<<<<< SEARCH\n${oldShown.join('\n')}\n=======\n${newShown.join('\n')}\n>>>>>>> REPLACE\n${closing}\n`;
    case 1: {
      const body = [...oldShown.map((l) => `-${l}`), ...newShown.map((l) => `+${l}`)];
      const header = r.chance(0.5) ? `--- a/${t.target.file}\n+++ b/${t.target.file}\n` : '';
      return `${prose}\n\n\`\`\`diff\n${header}@@ -${from + 1 + r.int(3) - 1},${old.length} +${from + 1},${edited.length} @@\n${body.join('\n')}\n\`\`\`\n`;
    }
    case 2: {
      const fn = lines.slice(start, end + 1);
      const k = r.int(fn.length);
      const changed = fn.map((l, i) => (i === k && i > 0 ? l.replace(/\b[a-z_]\w*\b/, (w) => w + '_y') : l));
      if (r.chance(0.5) && fn.length > 2) changed.splice(1 + r.int(fn.length - 1), 0, (/^[ \t]*/.exec(fn[fn.length - 1]!)![0] || '    ') + '    pass');
      return `${prose}\n\n${fence}\n${indentShift(changed).join('\n')}\n${closing}\n`;
    }
    default: {
      const edits = [{ search: oldShown.join('\n'), replace: newShown.join('\n') }];
      const json = { summary: prose || 'x', verdicts: [{ block: 'b1', correct: false, why: 'bad' }], fix: { kind: 'search_replace', edits } };
      return r.chance(0.5) ? '```json\n' + JSON.stringify(json, null, 2) + '\n```' : JSON.stringify(json);
    }
  }
}

/** Lines the change touches in the old text: [start, end) with start === end for a pure insertion. */
function changedRegion(oldLines: readonly string[], newLines: readonly string[]): { start: number; end: number } | undefined {
  const min = Math.min(oldLines.length, newLines.length);
  let prefix = 0;
  while (prefix < min && oldLines[prefix] === newLines[prefix]) prefix++;
  let suffix = 0;
  while (suffix < min - prefix && oldLines[oldLines.length - 1 - suffix] === newLines[newLines.length - 1 - suffix]) suffix++;
  if (prefix === oldLines.length && prefix === newLines.length) return undefined;
  return { start: prefix, end: oldLines.length - suffix };
}

function check(condition: unknown, seed: number, what: string): asserts condition {
  if (!condition) throw new Error(`seed ${seed}: ${what}`);
}

export interface ReplyFuzzOptions {
  /** A case that takes longer than this fails the fuzzing (unset: only recorded). */
  readonly maxCaseMs?: number;
}

export async function fuzzReplies(corpus: ReplyFuzzCorpus, seed: number, cases: number, options: ReplyFuzzOptions = {}): Promise<ReplyFuzzCounts> {
  const counts: ReplyFuzzCounts = { cases: 0, mutated: 0, generated: 0, parseErrors: 0, parsedWithoutFix: 0, fixes: 0, applyErrors: 0, applied: 0, appliedInsideTarget: 0, outsideTargetReported: 0, unchanged: 0, revertedExactly: 0, refusedOutOfScope: 0, addedOutsideTarget: 0, slowestMs: 0, slowestCase: '' };
  const allReplies = corpus.replies.map((x) => x.reply);
  for (let c = 0; c < cases; c++) {
    const s = seed + c;
    const r = new Random(s);
    const base = r.pick(corpus.replies);
    const t = r.pick(corpus.targets.get(base.target)!);
    let reply: string;
    if (r.chance(0.35)) {
      reply = generate(r, t);
      if (r.chance(0.3)) reply = mutate(r, reply, allReplies);
      counts.generated++;
    } else {
      reply = mutate(r, base.reply, allReplies);
      counts.mutated++;
    }
    counts.cases++;
    const context: ReplyContext = { functionName: t.target.name, language: t.target.language, requireFix: r.chance(0.5), blocks: t.blocks };
    // CPU time of this process, so that other processes on a busy machine do not count.
    const started = process.cpuUsage();
    const timed = () => {
      const used = process.cpuUsage(started);
      const ms = (used.user + used.system) / 1000;
      if (ms > counts.slowestMs) {
        counts.slowestMs = Math.round(ms * 10) / 10;
        counts.slowestCase = `seed ${s}: ${reply.length} characters, ${t.name}`;
      }
      check(options.maxCaseMs === undefined || ms <= options.maxCaseMs, s, `took ${Math.round(ms)} ms (over ${options.maxCaseMs} ms) on ${JSON.stringify(reply.slice(0, 200))}`);
    };
    let parsed: ReturnType<typeof parseReply>;
    try {
      parsed = parseReply(reply, context);
    } catch (err) {
      throw new Error(`seed ${s}: parseReply threw ${err instanceof Error ? err.stack : String(err)} on ${JSON.stringify(reply.slice(0, 300))}`);
    }
    if (!parsed.ok) {
      timed();
      check(typeof parsed.error === 'string' && parsed.error.trim().length > 0, s, 'a parse error without a message');
      counts.parseErrors++;
      continue;
    }
    const fix = parsed.diagnosis.fix;
    if (!fix) {
      timed();
      check(!context.requireFix || parsed.diagnosis.testIsWrong || everyBlockCorrect(parsed.diagnosis), s, 'requireFix but no fix, no test claim, and not every block found correct');
      counts.parsedWithoutFix++;
      continue;
    }
    counts.fixes++;
    let applied: Awaited<ReturnType<typeof applyFixInScope>>;
    try {
      applied = await applyFixInScope(parser, t.text, t.target, fix);
    } catch (err) {
      throw new Error(`seed ${s}: applyFixInScope threw ${err instanceof Error ? err.stack : String(err)} (${t.name})`);
    }
    timed();
    if (!applied.ok) {
      check(typeof applied.error === 'string' && applied.error.trim().length > 0, s, 'an apply error without a message');
      counts.applyErrors++;
      if (applied.error.startsWith('the fix would ') || applied.error.startsWith('the fixed code does not parse')) counts.refusedOutOfScope++;
      continue;
    }
    counts.applied++;
    const original = t.text;
    const next = applied.text;
    if (original.includes('\r\n')) check(!/(^|[^\r])\n/.test(next), s, `a CRLF file got a bare LF (${t.name})`);
    const oldLines = original.replace(/\r\n/g, '\n').split('\n');
    const newLines = next.replace(/\r\n/g, '\n').split('\n');
    const region = changedRegion(oldLines, newLines);
    if (!region) counts.unchanged++;
    // The target, with the decorators and comments right above it, as the applier counts it.
    let allowedStart = t.target.range.start.line - 1;
    while (allowedStart > 0 && /^\s*(@|#|\/\/|\/\*|\*)/.test(oldLines[allowedStart - 1]!)) allowedStart--;
    const targetEnd = t.target.range.end.line - 1;
    if (applied.outsideTarget) {
      check(applied.outsideRanges.length > 0, s, 'outsideTarget without the ranges');
      counts.outsideTargetReported++;
      // Outside the target only additions: the lines there (imports aside) are all still there, in order.
      const outside = [...oldLines.slice(0, allowedStart), ...oldLines.slice(targetEnd + 1)].filter((l) => l.trim() && !isImportLine(l));
      const missing = firstMissing(outside, newLines);
      check(missing === undefined, s, `an applied fix lost the line ${JSON.stringify(missing)} outside the target (${t.name}, ${fix.kind} fix); reply ${JSON.stringify(reply.slice(0, 400))}`);
      counts.addedOutsideTarget++;
    } else if (region) {
      // Inside means: every line before the target and every line after it is kept, in place at
      // both ends of the new text.
      const tail = oldLines.length - 1 - targetEnd;
      const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((l, i) => l === b[i]);
      const inside = newLines.length >= allowedStart + tail && same(newLines.slice(0, allowedStart), oldLines.slice(0, allowedStart)) && same(newLines.slice(newLines.length - tail), oldLines.slice(targetEnd + 1));
      check(inside, s, `lines ${region.start + 1}-${region.end} changed outside the target (lines ${allowedStart + 1}-${targetEnd + 1}) without outsideTarget (${t.name}, ${fix.kind} fix); the new text there: ${JSON.stringify(newLines.slice(region.start, region.start + 14))}; reply ${JSON.stringify(reply.slice(0, 400))}`);
      counts.appliedInsideTarget++;
    }
    const forward = createProposal(t.target.file ?? 'f', 1, original, next);
    const patched = applyHunks(original, forward.hunks);
    const back = createProposal(t.target.file ?? 'f', 2, patched, original);
    check(applyHunks(patched, back.hunks) === original, s, `reverting did not restore the original (${t.name})`);
    counts.revertedExactly++;
  }
  return counts;
}

/** `import x`, `from x import y`, `import { a } from 'b'`, `const x = require('y')`: an import may gain names. */
function isImportLine(line: string): boolean {
  const t = line.trim();
  return t.startsWith('import ') || t.startsWith('from ') || t.includes('require(');
}

/** The first of `wanted` that is not found, in order, among `lines`. */
function firstMissing(wanted: readonly string[], lines: readonly string[]): string | undefined {
  let at = 0;
  for (const w of wanted) {
    while (at < lines.length && lines[at] !== w) at++;
    if (at >= lines.length) return w;
    at++;
  }
  return undefined;
}
