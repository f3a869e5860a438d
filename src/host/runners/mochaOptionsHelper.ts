// Run by Ducktrace in a mocha project's folder (bundled on its own into dist/ducktraceMochaOptions.js):
// `node ducktraceMochaOptions.js MOCHA_DIR OUT_FILE [ARGS...]`. It asks the project's own mocha
// (8 and later) what a run with the project's arguments would do: its options as mocha merges them
// (command line, .mocharc.*, package.json "mocha", mocha's defaults: lib/cli/options.js loadOptions)
// and its test files (lib/cli/collect-files.js: spec globs, extensions, --recursive, --ignore,
// --sort). Writes `{ version, options, files, fileArgs, problems }` as JSON to OUT_FILE.
//
// Why: mocha adds the test files named on its command line to the config's `spec` instead of
// replacing them, so Ducktrace cannot run one file by naming it. Its runs instead pass these options
// back as a config file of their own without `spec` (mochaAdapter.ts) and name the files. Reading a
// `.mocharc.js` runs it, as mocha itself would.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Options = Record<string, unknown>;

function main(): void {
  const [mochaDir, outFile, ...args] = process.argv.slice(2);
  const problems: string[] = [];
  let version = '';
  try {
    version = String((JSON.parse(readFileSync(join(mochaDir, 'package.json'), 'utf8')) as { version?: unknown }).version ?? '');
  } catch {
    // unknown
  }
  const { loadOptions } = require(join(mochaDir, 'lib', 'cli', 'options.js')) as { loadOptions: (argv: string[]) => Options };
  let aliases: Record<string, string[]> = {};
  try {
    aliases = (require(join(mochaDir, 'lib', 'cli', 'run-option-metadata.js')) as { aliases?: Record<string, string[]> }).aliases ?? {};
  } catch {
    // no metadata: only the canonical names are read below anyway
  }
  const loaded = loadOptions(args);
  const spec = (Array.isArray(loaded._) ? loaded._ : []).map(String);
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
  const fileArgs = list(loaded.file);
  let files: string[] = [];
  // collect-files ends the process when nothing matches: that is an answer (no test files), not a crash.
  const exit = process.exit;
  const console_error = console.error;
  try {
    process.exit = ((code?: number) => {
      throw new NoFiles(code ?? 0);
    }) as typeof process.exit;
    console.error = (...parts: unknown[]) => problems.push(parts.map(String).join(' '));
    const collectFiles = require(join(mochaDir, 'lib', 'cli', 'collect-files.js')) as (o: Options) => string[] | { files: string[] };
    const collected = collectFiles({
      ignore: list(loaded.ignore),
      extension: list(loaded.extension).length ? list(loaded.extension) : ['js', 'cjs', 'mjs'],
      file: fileArgs,
      recursive: loaded.recursive === true,
      sort: loaded.sort === true,
      spec: spec.length ? spec : ['./test'],
    });
    files = Array.isArray(collected) ? collected : collected.files;
  } catch (e) {
    if (!(e instanceof NoFiles)) problems.push(`mocha could not list its test files: ${String(e)}`);
  } finally {
    process.exit = exit;
    console.error = console_error;
  }
  // Only canonical names: an alias written next to its option would repeat array values.
  const aliasNames = new Set(Object.values(aliases).flat());
  const options: Options = {};
  for (const [key, value] of Object.entries(loaded)) {
    if (key === '_' || key === '$0' || key === 'spec' || key === 'config' || key === 'package' || aliasNames.has(key)) continue;
    options[key] = value;
  }
  const fileSet = new Set(fileArgs.map((f) => resolve(f)));
  writeFileSync(outFile, JSON.stringify({ version, options, files: files.filter((f) => !fileSet.has(f)), fileArgs, problems }));
}

class NoFiles extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

main();
