// Where an imported module's source may live, most likely first. Only workspace sources matter
// here (packages are not what a failing test is about), so there is no node_modules or
// site-packages lookup: bare JavaScript specifiers resolve to nothing.

import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { moduleExtensions, type LanguageFamily } from './languages';

/**
 * Files that may hold `specifier` imported from `fromFile`. For Python, absolute module names
 * are looked up from the importing file's folder upwards to its workspace root (how pytest's
 * rootdir and package layouts put them on `sys.path`), then from every root.
 */
export function moduleFileCandidates(specifier: string, fromFile: string, family: LanguageFamily, roots: readonly string[]): string[] {
  return family === 'python' ? pythonCandidates(specifier, fromFile, roots) : javascriptCandidates(specifier, fromFile);
}

function pythonCandidates(specifier: string, fromFile: string, roots: readonly string[]): string[] {
  const dots = /^\.*/.exec(specifier)![0].length;
  const parts = specifier.slice(dots).split('.').filter(Boolean);
  let bases: string[];
  if (dots > 0) {
    let base = dirname(fromFile);
    for (let i = 1; i < dots; i++) base = dirname(base);
    bases = [base];
  } else {
    bases = [...ancestorsWithin(dirname(fromFile), roots), ...roots];
  }
  const candidates: string[] = [];
  for (const base of bases) {
    const path = join(base, ...parts);
    if (parts.length) candidates.push(`${path}.py`);
    candidates.push(join(path, '__init__.py'));
  }
  return [...new Set(candidates)];
}

/** `dir` and its parents, stopping at the workspace root that contains it. */
function ancestorsWithin(dir: string, roots: readonly string[]): string[] {
  const root = roots.find((r) => isWithin(dir, r));
  if (!root) return [dir];
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    out.push(d);
    if (d === root || dirname(d) === d) return out;
  }
}

function javascriptCandidates(specifier: string, fromFile: string): string[] {
  if (!specifier.startsWith('.') && !isAbsolute(specifier)) return [];
  const path = resolve(dirname(fromFile), specifier);
  const extensions = moduleExtensions('javascript');
  const candidates: string[] = [];
  const ext = extname(path);
  if (extensions.includes(ext)) {
    candidates.push(path);
    // TypeScript's ESM style imports './x.js' for the source file './x.ts'.
    const stem = path.slice(0, -ext.length);
    const sources: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };
    for (const alternative of sources[ext] ?? []) candidates.push(stem + alternative);
  }
  for (const extension of extensions) candidates.push(path + extension);
  for (const extension of extensions) candidates.push(join(path, `index${extension}`));
  return candidates;
}

/** True when `file` is `root` or inside it. */
export function isWithin(file: string, root: string): boolean {
  const rel = relative(root, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
