// The value a failing test expected, as text, for the value evidence: what the runner's report
// says (jest's and node's expected values), else what the assertion message shows: pytest's
// `assert 18 == 19`, unittest's `18 != 19`, vitest's `expected 18 to be 19`, and node's
// `assert.ok(f(x) === 19)` / `assert(f(x) === 19)`, whose source node prints. Nothing is guessed
// from other shapes.

import { chaiExpectedActual, pythonExpectedActual } from '../failures/assertionValues';

export function expectedValueOf(failure: { readonly message?: string; readonly expected?: string }): string | undefined {
  if (failure.expected !== undefined) return failure.expected;
  const message = failure.message ?? '';
  return pythonExpectedActual(message)?.expected ?? chaiExpectedActual(message)?.expected ?? assertOkExpected(message);
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
  return at < 0 ? undefined : argument.slice(at + width).trim() || undefined;
}
