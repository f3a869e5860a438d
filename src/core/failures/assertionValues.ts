// Expected and actual values out of assertion messages, for runners that only give text.
// Conservative: when the message is not one of the known shapes, nothing is guessed.

export interface ExpectedActual {
  readonly expected: string;
  readonly actual: string;
}

/** Splits `a == b` at its only top-level ` == ` (none inside brackets or quotes). */
function splitOnce(text: string, operator: string): [string, string] | undefined {
  let depth = 0;
  let quote: string | undefined;
  let found = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && text.startsWith(operator, i)) {
      if (found >= 0) return undefined;
      found = i;
    }
  }
  return found < 0 ? undefined : [text.slice(0, found).trim(), text.slice(found + operator.length).trim()];
}

/**
 * pytest's rewritten assertions (`assert 6 == 11`), unittest's `AssertionError: 4 != 5`
 * (assertEqual(first, second), whose first argument is by convention the actual value).
 */
export function pythonExpectedActual(message: string): ExpectedActual | undefined {
  const first = message.split(/\r?\n/)[0].trim().replace(/^E\s+/, '');
  const pytest = /^(?:AssertionError: )?assert (.+)$/.exec(first);
  if (pytest) {
    const sides = splitOnce(pytest[1], ' == ');
    return sides ? { actual: sides[0], expected: sides[1] } : undefined;
  }
  const unittest = /^AssertionError: (.+)$/.exec(first);
  if (unittest) {
    const sides = splitOnce(unittest[1].replace(/ : .*$/, ''), ' != ');
    return sides ? { actual: sides[0], expected: sides[1] } : undefined;
  }
  return undefined;
}

/** Chai-style messages as vitest prints them: `expected 6 to be 11 // Object.is equality`. */
export function chaiExpectedActual(message: string): ExpectedActual | undefined {
  const first = message.split(/\r?\n/)[0].trim().replace(/^AssertionError: /, '');
  const m = /^expected (.+?) to (?:be|equal|deeply equal|strictly equal|be close to) (.+?)(?: \/\/ .*)?$/.exec(first);
  return m ? { actual: m[1], expected: m[2] } : undefined;
}

/** A runner's value (jest gives them as parsed JSON) as text for a diff. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
