// Where an imported module's source may live, most likely first. Only workspace sources matter
// here (packages are not what a failing test is about), so there is no node_modules or
// site-packages lookup. Bare JavaScript specifiers resolve only when the project itself names
// them: TypeScript's `paths`/`baseUrl` (tsconfig.json or jsconfig.json, `extends` followed) and
// the package's own name (a package importing itself, or a test `require('..')`-ing its folder).

import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { moduleExtensions, type LanguageFamily } from './languages';
import type { SourceFiles } from './sourceFiles';

/**
 * Files that may hold `specifier` imported from `fromFile`, without reading anything: relative
 * JavaScript specifiers and Python modules. For Python, absolute module names are looked up from
 * the importing file's folder upwards to its workspace root (how pytest's rootdir and package
 * layouts put them on `sys.path`), then from every root.
 */
export function moduleFileCandidates(specifier: string, fromFile: string, family: LanguageFamily, roots: readonly string[]): string[] {
  return family === 'python' ? pythonCandidates(specifier, fromFile, roots) : javascriptCandidates(specifier, fromFile);
}

/**
 * The same, plus what needs the project's files: a folder's package.json `main`/`exports`, the
 * package's own name, and tsconfig/jsconfig path aliases. Reads through `files`, caching what it
 * read for its lifetime (one search).
 */
export class ModuleResolver {
  private readonly json = new Map<string, Promise<Json | undefined>>();

  constructor(
    private readonly files: SourceFiles,
    private readonly roots: readonly string[],
  ) {}

  async candidates(specifier: string, fromFile: string, family: LanguageFamily): Promise<string[]> {
    if (family === 'python') return pythonCandidates(specifier, fromFile, this.roots);
    const out: string[] = [];
    if (specifier.startsWith('.') || isAbsolute(specifier)) {
      const path = resolve(dirname(fromFile), specifier);
      out.push(...javascriptCandidates(specifier, fromFile, false));
      out.push(...(await this.packageEntries(path, '.')));
      out.push(...indexCandidates(path));
    } else {
      out.push(...(await this.aliased(specifier, fromFile)));
      out.push(...(await this.selfReference(specifier, fromFile)));
    }
    return [...new Set(out)];
  }

  /** tsconfig/jsconfig `paths` and `baseUrl` of the nearest config above the importing file. */
  private async aliased(specifier: string, fromFile: string): Promise<string[]> {
    const config = await this.nearestConfig(dirname(fromFile));
    if (!config) return [];
    const out: string[] = [];
    let best = -1;
    for (const [pattern, targets] of Object.entries(config.paths)) {
      const star = pattern.indexOf('*');
      let matched: string | undefined;
      if (star < 0) matched = pattern === specifier ? '' : undefined;
      else {
        const prefix = pattern.slice(0, star);
        const suffix = pattern.slice(star + 1);
        if (specifier.length >= prefix.length + suffix.length && specifier.startsWith(prefix) && specifier.endsWith(suffix)) {
          matched = specifier.slice(prefix.length, specifier.length - suffix.length);
        }
      }
      if (matched === undefined) continue;
      // TypeScript takes the pattern with the longest prefix before its `*`.
      const weight = star < 0 ? Infinity : star;
      if (weight < best) continue;
      if (weight > best) out.length = 0;
      best = weight;
      for (const target of targets) out.push(...fileAndFolderCandidates(resolve(config.pathsBase, target.replace('*', matched))));
    }
    if (config.baseUrl) out.push(...fileAndFolderCandidates(resolve(config.baseUrl, specifier)));
    return out;
  }

  /** `require('my-package')` or `import 'my-package/sub'` inside my-package itself. */
  private async selfReference(specifier: string, fromFile: string): Promise<string[]> {
    for (let dir = dirname(fromFile); this.inRoots(dir); dir = dirname(dir)) {
      const pkg = await this.readJson(join(dir, 'package.json'));
      if (pkg) {
        const name = typeof pkg.name === 'string' ? pkg.name : undefined;
        if (!name || (specifier !== name && !specifier.startsWith(`${name}/`))) return [];
        const sub = specifier === name ? '.' : `.${specifier.slice(name.length)}`;
        const entries = await this.packageEntries(dir, sub);
        return sub === '.' ? [...entries, ...indexCandidates(dir)] : [...entries, ...fileAndFolderCandidates(join(dir, sub))];
      }
      if (dirname(dir) === dir) break;
    }
    return [];
  }

  /** The files a package folder's package.json points `sub` ('.' or './x') at: `exports`, then `main`. */
  private async packageEntries(dir: string, sub: string): Promise<string[]> {
    const pkg = await this.readJson(join(dir, 'package.json'));
    if (!pkg) return [];
    const out: string[] = [];
    const exportsField = pkg.exports;
    const entry = typeof exportsField === 'string' || Array.isArray(exportsField) ? (sub === '.' ? exportsField : undefined) : isObject(exportsField) ? (Object.keys(exportsField).some((k) => k.startsWith('.')) ? exportsField[sub] : sub === '.' ? exportsField : undefined) : undefined;
    for (const target of conditionTargets(entry)) out.push(...fileAndFolderCandidates(resolve(dir, target)));
    if (sub === '.' && typeof pkg.main === 'string') out.push(...fileAndFolderCandidates(resolve(dir, pkg.main)));
    return out;
  }

  private async nearestConfig(from: string): Promise<TsPaths | undefined> {
    for (let dir = from; this.inRoots(dir); dir = dirname(dir)) {
      for (const name of ['tsconfig.json', 'jsconfig.json']) {
        const found = await this.readConfig(join(dir, name), 0);
        if (found) return found;
      }
      if (dirname(dir) === dir) break;
    }
    return undefined;
  }

  /** A tsconfig's `paths` and `baseUrl` (absolute), its `extends` chain merged; undefined when the file is absent. */
  private async readConfig(file: string, depth: number): Promise<TsPaths | undefined> {
    const json = await this.readJson(file);
    if (!json) return undefined;
    let inherited: TsPaths = { paths: {}, pathsBase: dirname(file) };
    const parent = typeof json.extends === 'string' ? json.extends : Array.isArray(json.extends) ? json.extends.find((e): e is string => typeof e === 'string') : undefined;
    if (parent && depth < 5 && (parent.startsWith('.') || isAbsolute(parent))) {
      const parentFile = resolve(dirname(file), parent.endsWith('.json') ? parent : `${parent}.json`);
      inherited = (await this.readConfig(parentFile, depth + 1)) ?? inherited;
    }
    const options = isObject(json.compilerOptions) ? json.compilerOptions : {};
    const baseUrl = typeof options.baseUrl === 'string' ? resolve(dirname(file), options.baseUrl) : inherited.baseUrl;
    const paths: Record<string, string[]> = {};
    if (isObject(options.paths)) {
      for (const [key, value] of Object.entries(options.paths)) {
        if (Array.isArray(value)) paths[key] = value.filter((v): v is string => typeof v === 'string');
      }
    }
    const ownPaths = Object.keys(paths).length > 0;
    return {
      paths: ownPaths ? paths : inherited.paths,
      // Paths are relative to baseUrl when it is set, else to the config that declares them.
      pathsBase: baseUrl ?? (ownPaths ? dirname(file) : inherited.pathsBase),
      ...(baseUrl ? { baseUrl } : {}),
    };
  }

  private readJson(file: string): Promise<Json | undefined> {
    let entry = this.json.get(file);
    if (!entry) {
      entry = this.files.read(file).then((text) => (text === undefined ? undefined : parseLenientJson(text)));
      this.json.set(file, entry);
    }
    return entry;
  }

  private inRoots(dir: string): boolean {
    return this.roots.some((r) => isWithin(dir, r));
  }
}

type Json = Record<string, unknown>;

interface TsPaths {
  readonly paths: Readonly<Record<string, readonly string[]>>;
  /** What `paths` targets are relative to. */
  readonly pathsBase: string;
  readonly baseUrl?: string;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** tsconfig.json is JSON with comments and trailing commas; anything else unreadable counts as absent. */
function parseLenientJson(text: string): Json | undefined {
  for (const attempt of [text, withoutCommentsAndTrailingCommas(text)]) {
    try {
      const value: unknown = JSON.parse(attempt);
      return isObject(value) ? value : undefined;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/**
 * JSONC to JSON: `//` and `/* *\/` comments and commas before `}` or `]` removed, strings left
 * alone. (jsonrepair would also do it, but its types are ES-module only, which this CommonJS
 * build cannot import; JSONC's two additions are all a tsconfig has.)
 */
function withoutCommentsAndTrailingCommas(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

/** The paths an `exports` entry names: a string, an array, or conditions (`import`, `require`, `default`, ...), in order. */
function conditionTargets(entry: unknown, depth = 0): string[] {
  if (typeof entry === 'string') return [entry];
  if (depth > 4) return [];
  if (Array.isArray(entry)) return entry.flatMap((e) => conditionTargets(e, depth + 1));
  if (isObject(entry)) return Object.entries(entry).flatMap(([key, value]) => (key === 'types' ? [] : conditionTargets(value, depth + 1)));
  return [];
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

function javascriptCandidates(specifier: string, fromFile: string, withIndex = true): string[] {
  if (!specifier.startsWith('.') && !isAbsolute(specifier)) return [];
  const path = resolve(dirname(fromFile), specifier);
  return withIndex ? fileAndFolderCandidates(path) : fileCandidates(path);
}

function fileAndFolderCandidates(path: string): string[] {
  return [...fileCandidates(path), ...indexCandidates(path)];
}

/** The file itself, its TypeScript source when it names the compiled `.js`, and the path with each extension. */
function fileCandidates(path: string): string[] {
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
  return candidates;
}

function indexCandidates(dir: string): string[] {
  return moduleExtensions('javascript').map((extension) => join(dir, `index${extension}`));
}

/** True when `file` is `root` or inside it. */
export function isWithin(file: string, root: string): boolean {
  const rel = relative(root, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
