// The layering rule of ARCHITECTURE.md, enforced as an allowlist. Every file of src/ sits in a
// layer folder (core, host, vscode, webview) or is one of the two entry points. src/core imports only
// core files and the pure packages below (no file system, processes, network or editor); src/host
// imports core, host and Node or npm packages, never `vscode`; src/vscode imports anything but
// src/webview (it loads the page's built script); src/webview (the Ducktrace view's page, run in the
// browser) imports only src/core and itself, no packages. extension.ts
// (the editor's entry) may import every layer; cli.ts (the CLI's entry) all but the editor layer.
// Run by `npm test` (and `npm run lint`); import cycles are ESLint's (eslint.config.mjs).
import ts from 'typescript';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What src/core may import from outside itself: computations only, the same on every OS and host. */
const CORE_PACKAGES = ['diff', 'picomatch', 'jsonrepair', 'magic-string', 'shell-quote', 'node:path', 'node:util'];
const LAYERS = ['core', 'host', 'vscode', 'webview'];
const ENTRY_POINTS = { 'extension.ts': ['core', 'host', 'vscode'], 'cli.ts': ['core', 'host'] };
const MAY_IMPORT = { core: ['core'], host: ['core', 'host'], vscode: ['core', 'host', 'vscode'], webview: ['core', 'webview'] };

function layerOf(srcRoot, file) {
  const rel = relative(srcRoot, file).split(sep);
  return rel.length > 1 ? rel[0] : 'root';
}

/** Returns one message per forbidden import or misplaced file found under `srcRoot`. */
export function checkLayers(srcRoot) {
  const problems = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx|mts|cts)$/.test(name)) checkFile(p);
    }
  };
  const checkFile = (file) => {
    const layer = layerOf(srcRoot, file);
    const name = relative(srcRoot, file);
    const allowed = layer === 'root' ? ENTRY_POINTS[name] : LAYERS.includes(layer) ? MAY_IMPORT[layer] : undefined;
    if (!allowed) {
      problems.push(`src/${name}: every file of src/ sits in src/core, src/host, src/vscode or src/webview (or is src/extension.ts or src/cli.ts)`);
      return;
    }
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imp of info.importedFiles) {
      const spec = imp.fileName;
      const where = `${relative(process.cwd(), file)}:${lineOf(file, imp.pos)}`;
      if (spec.startsWith('.')) {
        const resolved = resolve(file, '..', spec);
        // The package manifest, inlined at build time (product name and version).
        if (resolved === resolve(srcRoot, '..', 'package.json')) continue;
        const target = layerOf(srcRoot, resolved);
        if (target === 'root' || !relative(srcRoot, resolved).split(sep)[0] || relative(srcRoot, resolved).startsWith('..')) {
          problems.push(`${where}: src/${name} must not import ${spec} (outside the layers)`);
          continue;
        }
        if (!allowed.includes(target)) problems.push(`${where}: src/${layer === 'root' ? name : layer} must not import src/${target}`);
      } else if (layer === 'webview') {
        problems.push(`${where}: src/webview runs in the browser and imports only src/core (found '${spec}')`);
      } else if (spec === 'vscode') {
        if (!allowed.includes('vscode')) problems.push(`${where}: 'vscode' may only be imported in src/vscode/ and src/extension.ts`);
      } else if (layer === 'core' && !CORE_PACKAGES.includes(spec)) {
        problems.push(`${where}: src/core may import only ${CORE_PACKAGES.join(', ')} from outside (found '${spec}'; put it behind a port in src/host)`);
      }
    }
  };
  const lineOf = (file, pos) => readFileSync(file, 'utf8').slice(0, pos).split('\n').length;
  walk(srcRoot);
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcRoot = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '../../src'));
  const problems = checkLayers(srcRoot);
  if (problems.length) {
    console.error(`Layering check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('layering check: ok');
}
