// Fuzzes the proposal bookkeeping: random documents (LF/CRLF, tabs, unicode, no final newline),
// random proposed rewrites, random user edits while the proposal is pending. Properties:
// - no exception escapes except StaleHunkError for hunks the bookkeeping marked stale;
// - a hunk still pending after edits applies onto exactly the text it was made for;
// - accepting everything gives the proposed text when nothing was edited, and the reverse
//   proposal restores the original byte for byte.
import { applyDocumentChanges, applyHunks, createProposal, pendingHunks, StaleHunkError, type TextChange } from '../../src/core/patch/proposal';
import { Random } from './random';

const words = ['x', 'total', 'résumé', '名前', '😀', 'return', 'if a:', '\tindent', '    pass', '}', '{', '', '  ', 'i += 1'];

function randomLines(r: Random, n: number): string[] {
  return Array.from({ length: n }, () => Array.from({ length: 1 + r.int(4) }, () => r.pick(words)).join(' '));
}

function randomDocument(r: Random): string {
  const eol = r.chance(0.3) ? '\r\n' : '\n';
  const lines = randomLines(r, r.int(30));
  return lines.join(eol) + (r.chance(0.8) && lines.length ? eol : '');
}

function mutate(r: Random, text: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(eol);
  const ops = 1 + r.int(4);
  for (let i = 0; i < ops; i++) {
    const at = r.int(lines.length + 1);
    const op = r.int(3);
    if (op === 0) lines.splice(at, 0, ...randomLines(r, 1 + r.int(3)));
    else if (op === 1 && lines.length) lines.splice(Math.min(at, lines.length - 1), 1 + r.int(2));
    else if (lines.length) lines[Math.min(at, lines.length - 1)] = randomLines(r, 1)[0]!;
  }
  return lines.join(r.chance(0.1) ? '\n' : eol); // sometimes the "model" answers with LF in a CRLF file
}

export interface FuzzCounts {
  cases: number;
  hunks: number;
  staleDetected: number;
  appliedAfterEdits: number;
}

export function fuzzProposals(seed: number, cases: number): FuzzCounts {
  const counts: FuzzCounts = { cases: 0, hunks: 0, staleDetected: 0, appliedAfterEdits: 0 };
  for (let c = 0; c < cases; c++) {
    const r = new Random(seed + c);
    const original = randomDocument(r);
    const proposed = mutate(r, original);
    const eol = original.includes('\r\n') ? '\r\n' : '\n';
    const p = createProposal('f', 1, original, proposed, { eol });
    counts.cases++;
    counts.hunks += p.hunks.length;
    const all = applyHunks(original, p.hunks);
    const expected = proposed.replace(/\r?\n/g, eol);
    if (all !== expected) throw new Error(`seed ${seed + c}: accepting all hunks did not give the proposed text`);
    const back = createProposal('f', 2, all, original, { eol });
    if (applyHunks(all, back.hunks) !== original) throw new Error(`seed ${seed + c}: the reverse proposal did not restore the original`);

    // The user edits while the proposal is pending.
    let text = original;
    for (let e = 0; e < 1 + r.int(4); e++) {
      const offset = r.int(text.length + 1);
      const length = r.int(Math.min(8, text.length - offset + 1));
      const change: TextChange = { offset, length, text: r.chance(0.5) ? r.pick(words) + (r.chance(0.5) ? eol : '') : '' };
      applyDocumentChanges(p, [change]);
      text = text.slice(0, offset) + change.text + text.slice(offset + length);
    }
    for (const h of p.hunks) {
      if (h.state === 'stale') {
        counts.staleDetected++;
        try {
          applyHunks(text, [h]);
          throw new Error(`seed ${seed + c}: a stale hunk was applied`);
        } catch (err) {
          if (!(err instanceof StaleHunkError)) throw err;
        }
      } else if (text.slice(h.start, h.end) !== h.oldText) {
        throw new Error(`seed ${seed + c}: hunk ${h.id} is pending but its text moved (${JSON.stringify(text.slice(h.start, h.end))} != ${JSON.stringify(h.oldText)})`);
      }
    }
    const pending = pendingHunks(p);
    if (pending.length) {
      applyHunks(text, pending); // must not throw: pending hunks apply exactly
      counts.appliedAfterEdits++;
    }
  }
  return counts;
}
