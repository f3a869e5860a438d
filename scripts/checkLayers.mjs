// The layering rule of ARCHITECTURE.md, enforced: `vscode` is imported only under src/vscode/;
// src/core/ imports neither Node's process and file APIs nor the host or editor layers;
// src/host/ does not reach into the editor layer; src/webview/ (the view's page) imports only src/core. Run by `npm test` (and `npm run lint`).
import ts from 'typescript';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_SIDE_EFFECTS = ['child_process', 'fs', 'fs/promises', 'worker_threads', 'cluster', 'net', 'http', 'https'];

function isNodeModule(spec, names) {
  const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
  return names.includes(bare);
}

function layerOf(srcRoot, file) {
  const rel = relative(srcRoot, file).split(sep);
  return rel.length > 1 ? rel[0] : 'root';
}

/** Returns one message per forbidden import found under `srcRoot`. */
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
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imp of info.importedFiles) {
      const spec = imp.fileName;
      const where = `${relative(process.cwd(), file)}:${lineOf(file, imp.pos)}`;
      const target = spec.startsWith('.') ? layerOf(srcRoot, resolve(file, '..', spec)) : undefined;
      if (spec === 'vscode' && layer !== 'vscode') {
        problems.push(`${where}: 'vscode' may only be imported in src/vscode/ (found in src/${layer === 'root' ? '' : layer + '/'})`);
      }
      if (layer === 'core') {
        if (isNodeModule(spec, NODE_SIDE_EFFECTS)) problems.push(`${where}: src/core must not import Node's '${spec}' (use a port from src/host)`);
        if (target === 'host' || target === 'vscode') problems.push(`${where}: src/core must not import src/${target}`);
      }
      if (layer === 'host' && (target === 'vscode' || target === 'webview')) problems.push(`${where}: src/host must not import src/${target}`);
      // The webview page runs in a browser: it may import only src/core (types and pure helpers).
      if (layer === 'webview' && !spec.startsWith('.')) problems.push(`${where}: src/webview runs in the browser and imports only src/core (found '${spec}')`);
      if (layer === 'webview' && target !== undefined && target !== 'core' && target !== 'webview') problems.push(`${where}: src/webview may import only src/core (found src/${target})`);
      if (layer === 'vscode' && target === 'webview') problems.push(`${where}: src/vscode loads the webview's built script; it does not import src/webview`);
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
