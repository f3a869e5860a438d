// Glob patterns (`**/secrets/**`, `*.pem`, `**/.env.{local,prod}`) as regular expressions, matched
// against slash-separated paths. A pattern without a slash matches the file name anywhere.
export function globToRegExp(pattern: string): RegExp {
  const p = pattern.includes('/') ? pattern.replace(/^\.\//, '') : `**/${pattern}`;
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = p.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${p.slice(i + 1, end).split(',').map(escape).join('|')})`;
        i = end;
      }
    } else re += escape(c);
  }
  return new RegExp(`^(?:.*/)?${re.replace(/^\(\?:\.\*\/\)\?/, '')}$`);
}

const escape = (s: string) => s.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/** Whether `path` (any separator) matches any of the patterns. */
export function matchesAnyGlob(path: string, patterns: readonly string[]): boolean {
  const p = path.replace(/\\/g, '/');
  return patterns.some((g) => globToRegExp(g).test(p));
}
