// Path arithmetic on plain strings (the core has no `path` module of its own to lean on, and
// reports mix POSIX and Windows separators).

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** `root` joined with `p` unless `p` is absolute; `.` and `..` segments folded. */
export function resolvePath(root: string, p: string): string {
  const joined = isAbsolutePath(p) ? p : `${root.replace(/[\\/]+$/, '')}/${p}`;
  const windows = /^[A-Za-z]:/.test(joined);
  const sep = windows && joined.includes('\\') ? '\\' : '/';
  const parts = joined.split(/[\\/]/);
  const out: string[] = [];
  for (const part of parts) {
    if (part === '.' || (part === '' && out.length > 0)) continue;
    if (part === '..') {
      if (out.length > 1) out.pop();
      continue;
    }
    out.push(part);
  }
  const result = out.join(sep);
  return result === '' ? sep : result;
}

/** `p` relative to `root` when inside it, else undefined. */
export function relativeTo(root: string, p: string): string | undefined {
  const r = resolvePath(root, '.').replace(/\\/g, '/');
  const f = resolvePath(root, p).replace(/\\/g, '/');
  if (f === r) return '';
  const prefix = r.endsWith('/') ? r : `${r}/`;
  return f.startsWith(prefix) ? f.slice(prefix.length) : undefined;
}
