// The value a failing test expected, as text, for the value evidence: what the runner's report
// says (jest's and node's expected values), else what the assertion message shows: pytest's
// `assert 18 == 19`, unittest's `18 != 19`, vitest's `expected 18 to be 19`, and node's
// `assert.ok(f(x) === 19)` / `assert(f(x) === 19)`, whose source node prints. Nothing is guessed
// from other shapes.

import { chaiExpectedActual, pythonExpectedActual } from '../failures/assertionValues';

export function expectedValueOf(failure: { readonly message?: string; readonly expected?: string }): string | undefined {
  const message = failure.message ?? '';
  // node's assert.ok reports `expected: true` (the truth of its argument); the function's expected
  // result is the literal it was compared with, in the expression node prints.
  const ok = assertOkExpected(message);
  if (ok !== undefined && (failure.expected === undefined || failure.expected === 'true')) return ok;
  if (failure.expected !== undefined) return failure.expected;
  return pythonExpectedActual(message)?.expected ?? chaiExpectedActual(message)?.expected;
}

/** `assert.ok(EXPR === LITERAL)` (or `==`, `assert(...)`): the literal on the right of the last top-level comparison. */
function assertOkExpected(message: string): string | undefined {
  // node prints the failed assertion's source under its message: `... falsy value:\n\n  assert.ok(f(1) === 2)`.
  const m = /(?:^|\s)assert(?:\.ok)?\(([\s\S]*)\)\s*;?\s*$/.exec(message.replace(/\n\s*/g, ' ').trim());
  if (!m) return undefined;
  const argument = m[1]!;
  let depth = 0;
  let quote: string | undefined;
  let at = -1;
  let width = 0;
  for (let i = 0; i < argument.length; i++) {
    const c = argument[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && (argument.startsWith('===', i) || argument.startsWith('==', i)) && argument[i - 1] !== '!' && argument[i - 1] !== '=') {
      width = argument.startsWith('===', i) ? 3 : 2;
      at = i;
      i += width - 1;
    }
  }
  const right = at < 0 ? '' : argument.slice(at + width).trim();
  // `JSON.stringify(f(x)) === JSON.stringify([1, 2])` compares the values themselves.
  return /^JSON\.stringify\(([\s\S]+)\)$/.exec(right)?.[1]?.trim() ?? (right || undefined);
}
