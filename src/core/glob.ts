// Glob patterns (`**/secrets/**`, `*.pem`, `**/[Ss]ecrets/**`, `**/.env.{local,{prod,qa}}`) matched
// against file paths by picomatch, the matcher behind micromatch and fast-glob: character classes,
// nested braces and extglobs work as people expect from their editor's settings. Dot files match
// (`.env`). A pattern without a slash matches the file name anywhere; a relative pattern with a
// slash matches at any depth (`secrets/*.py` matches `/w/app/secrets/db.py`).
import picomatch from 'picomatch';

type Matcher = (path: string) => boolean;

const cache = new Map<string, Matcher>();

function matcherOf(pattern: string): Matcher {
  let m = cache.get(pattern);
  if (!m) {
    const p = pattern.trim().replace(/^\.\//, '');
    const anywhere = p.startsWith('/') || p.startsWith('**/') || /^[A-Za-z]:\//.test(p) ? p : `**/${p}`;
    // A backslash in a pattern escapes (`\\[draft\\]`); paths are matched with forward slashes.
    m = picomatch(anywhere, { dot: true, windows: false });
    if (cache.size > 500) cache.clear();
    cache.set(pattern, m);
  }
  return m;
}

/** Whether `path` (any separator) matches any of the patterns. Empty patterns never match. */
export function matchesAnyGlob(path: string, patterns: readonly string[]): boolean {
  const p = path.replace(/\\/g, '/');
  return patterns.some((g) => g.trim() !== '' && matcherOf(g)(p));
}
