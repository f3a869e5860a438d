// One build for everything that runs: the extension and CLI bundles (dist/), the tree-sitter
// grammars (grammars/), and with --tests the unit tests and the integration suite (out/).
// Type checking is separate (`npm run typecheck`), so this stays fast.
import * as esbuild from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const withTests = process.argv.includes('--tests');
const production = process.argv.includes('--production');

// web-tree-sitter's ESM build reads import.meta.url, which is empty in a CommonJS bundle.
const treeSitterRuntimeDir = dirname(require.resolve('web-tree-sitter'));
const alias = { 'web-tree-sitter': join(treeSitterRuntimeDir, 'web-tree-sitter.cjs') };

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  alias,
  sourcemap: production ? false : 'linked',
  minify: false,
  logLevel: 'warning',
};

function copyGrammars() {
  const grammars = [
    ['tree-sitter-python', 'tree-sitter-python.wasm'],
    ['tree-sitter-javascript', 'tree-sitter-javascript.wasm'],
    ['tree-sitter-typescript', 'tree-sitter-typescript.wasm'],
    ['tree-sitter-typescript', 'tree-sitter-tsx.wasm'],
  ];
  mkdirSync(join(root, 'grammars'), { recursive: true });
  const versions = {};
  for (const [pkg, file] of grammars) {
    const pkgJson = require.resolve(`${pkg}/package.json`);
    cpSync(join(dirname(pkgJson), file), join(root, 'grammars', file));
    versions[file] = `${pkg}@${JSON.parse(readFileSync(pkgJson, 'utf8')).version}`;
  }
  const runtimeVersion = JSON.parse(readFileSync(join(treeSitterRuntimeDir, 'package.json'), 'utf8')).version;
  versions['web-tree-sitter.wasm'] = `web-tree-sitter@${runtimeVersion}`;
  cpSync(join(treeSitterRuntimeDir, 'web-tree-sitter.wasm'), join(root, 'dist', 'web-tree-sitter.wasm'));
  writeFileSync(join(root, 'grammars', 'versions.json'), JSON.stringify(versions, null, 2) + '\n');
}

function filesUnder(dir, test) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, test));
    else if (test(p)) out.push(p);
  }
  return out;
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist'), { recursive: true });

const builds = [
  esbuild.build({
    ...common,
    entryPoints: [join(root, 'src/extension.ts')],
    outfile: join(root, 'dist/extension.js'),
    external: ['vscode'],
  }),
  esbuild.build({
    ...common,
    entryPoints: [join(root, 'src/cli.ts')],
    outfile: join(root, 'dist/cli.js'),
    banner: { js: '#!/usr/bin/env node' },
  }),
  // Loaded by the user's `node --test --test-reporter=...`: one self-contained CommonJS module
  // whose module.exports is the reporter function.
  esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: [join(root, 'src/host/runners/nodeTestReporter.ts')],
    outfile: join(root, 'dist/nodeTestReporter.js'),
    footer: { js: 'module.exports = module.exports.default;' },
  }),
  // Ducktrace's progress reporters, loaded by the user's jest and vitest (through a small module
  // written per run that names the report file): what finished and what runs, line by line.
  esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: [join(root, 'src/host/runners/jestProgressReporter.ts')],
    outfile: join(root, 'dist/ducktraceJestReporter.js'),
  }),
  // mocha's: its progress reporter (loaded by the user's mocha through a module written per run),
  // and the helper that asks the project's mocha for its merged options and test files.
  esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: [join(root, 'src/host/runners/mochaProgressReporter.ts')],
    outfile: join(root, 'dist/ducktraceMochaReporter.js'),
  }),
  esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: [join(root, 'src/host/runners/mochaOptionsHelper.ts')],
    outfile: join(root, 'dist/ducktraceMochaOptions.js'),
  }),
  esbuild.build({
    ...common,
    sourcemap: false,
    format: 'esm',
    entryPoints: [join(root, 'src/host/runners/vitestProgressReporter.ts')],
    outfile: join(root, 'dist/ducktraceVitestReporter.mjs'),
  }),
  // The JavaScript tracer, loaded into the traced test process: `--require` of the register module,
  // which registers the ES module loader hooks next to it.
  esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: [join(root, 'src/host/tracers/js/jsRegister.ts')],
    outfile: join(root, 'dist/ducktrace_js_register.js'),
  }),
  // The coverage runs under mocha name it in their mocha config's `require`: a root hook plugin
  // telling the coverage recorder which test runs.
  esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: [join(root, 'src/host/tracers/js/jsMochaHooks.ts')],
    outfile: join(root, 'dist/ducktrace_mocha_hooks.js'),
  }),
  esbuild.build({
    ...common,
    sourcemap: false,
    format: 'esm',
    entryPoints: [join(root, 'src/host/tracers/js/jsLoaderHooks.ts')],
    outfile: join(root, 'dist/ducktrace_js_hooks.mjs'),
  }),
  // Imported by the temporary vitest config of a traced run: the user's config plus a Vite plugin.
  esbuild.build({
    ...common,
    sourcemap: false,
    format: 'esm',
    entryPoints: [join(root, 'src/host/tracers/js/jsVitestConfig.ts')],
    outfile: join(root, 'dist/ducktrace_vitest.mjs'),
  }),
  // The Ducktrace view's page script (a browser, not Node): one file, loaded by the webview.
  esbuild.build({
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: [join(root, 'src/webview/explanationView.ts')],
    outfile: join(root, 'dist/explanationView.js'),
  }),
];

if (withTests) {
  rmSync(join(root, 'out'), { recursive: true, force: true });
  // Unit tests and the sources they import, file by file, so `node --test` sees one file per test.
  const sources = [
    ...filesUnder(join(root, 'src'), (p) => p.endsWith('.ts') && !p.includes(`${join('src', 'vscode')}`) && !p.includes(`${join('src', 'webview')}`)),
    ...filesUnder(join(root, 'test/unit'), (p) => p.endsWith('.ts')),
    ...filesUnder(join(root, 'test/support'), (p) => p.endsWith('.ts')),
    ...filesUnder(join(root, 'test/fuzz'), (p) => p.endsWith('.ts')),
    ...filesUnder(join(root, 'bench'), (p) => p.endsWith('.ts') && !p.includes(`${join('bench', 'results')}`)),
  ];
  builds.push(
    esbuild.build({
      entryPoints: sources,
      outdir: join(root, 'out'),
      outbase: root,
      bundle: false,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'warning',
    }),
  );
  // The integration suite runs inside VS Code's extension host: one bundle, 'vscode' external.
  builds.push(
    esbuild.build({
      ...common,
      entryPoints: [join(root, 'test/integration/suite/index.ts')],
      outfile: join(root, 'out/test/integration/suite/index.js'),
      external: ['vscode'],
      sourcemap: 'inline',
    }),
  );
}

await Promise.all(builds);
// Unbundled sources read package.json relative to themselves (src/core/product.ts).
chmodSync(join(root, 'dist/cli.js'), 0o755);
// Python helpers the test runners load (`-p ducktrace_pytest` with dist/ on PYTHONPATH).
for (const py of filesUnder(join(root, 'src/host/runners/python'), (p) => p.endsWith('.py'))) cpSync(py, join(root, 'dist', py.split(/[\\/]/).pop()));
// The Python tracer, its coverage mode, its mutant runner and its call census (`python -m ducktrace_tracer` / `ducktrace_spectra` / `ducktrace_mutants` / `ducktrace_calls` with dist/ on PYTHONPATH),
// with every sibling module they import: the whole folder.
for (const py of filesUnder(join(root, 'src/host/tracers/python'), (p) => p.endsWith('.py'))) cpSync(py, join(root, 'dist', py.split(/[\\/]/).pop()));
if (withTests) cpSync(join(root, 'package.json'), join(root, 'out', 'package.json'));
copyGrammars();
console.log(`built ${relative(process.cwd(), join(root, 'dist')) || 'dist'}${withTests ? ' and out' : ''}`);
