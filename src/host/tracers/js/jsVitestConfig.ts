// Imported by the temporary vitest config Ducktrace writes for a traced run (dist/ducktrace_vitest.mjs):
// the user's own config (object, promise or function form; or none) with one Vite plugin added that
// hands vitest the instrumented text of the target file, when the text Vite loaded is the one
// Ducktrace instrumented. Vite transforms modules in the main vitest process, so this is where the
// swap happens; the recorder lives in the worker that runs the test (the preload, jsRegister.ts).
// A setup file writes the trace when the test file's tests are done: a worker thread is terminated
// without an exit event. Vite's caches go to Ducktrace's temporary folder, so no later untraced run
// can see instrumented code.

import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { isPlannedSource, type JsTracePlan } from './jsPlan';

type UserConfig = Record<string, unknown> & { plugins?: unknown[]; test?: Record<string, unknown> };
type ConfigExport = UserConfig | Promise<UserConfig> | ((env: unknown) => UserConfig | Promise<UserConfig>) | undefined;

interface TransformResult {
  readonly code: string;
  readonly map: JsTracePlan['map'] | null;
}

function realpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

interface ResolveContext {
  resolve(source: string, importer: string, options: Record<string, unknown>): Promise<unknown>;
}

/**
 * A Vite plugin that swaps the target file's text for the instrumented one, before any other
 * transform; and resolves the setup file's `vitest` import as if the project imported it (the
 * setup file lives in Ducktrace's temporary folder), so both get the same vitest.
 */
export function ducktracePlugin(planFile: string, setupFile: string, projectDir: string) {
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Pick<JsTracePlan, 'file' | 'source' | 'instrumented' | 'map'>;
  const targets = new Set([plan.file, realpath(plan.file)]);
  const setups = new Set([setupFile, realpath(setupFile)]);
  return {
    name: 'ducktrace-trace',
    enforce: 'pre' as const,
    async resolveId(this: ResolveContext, source: string, importer: string | undefined, options: Record<string, unknown>): Promise<unknown> {
      if (source !== 'vitest' || !importer || !setups.has(importer.replace(/[?#].*$/, ''))) return undefined;
      return this.resolve(source, join(projectDir, 'package.json'), { ...options, skipSelf: true });
    },
    transform(code: string, id: string): TransformResult | undefined {
      const file = id.replace(/[?#].*$/, '');
      if (!targets.has(file) || !isPlannedSource(code, plan)) return undefined;
      // Lines are kept, and the source map maps the columns back: positions in stacks stay right.
      return { code: plan.instrumented, map: plan.map ?? null };
    },
  };
}

export interface DucktraceVitestOptions {
  readonly planFile: string;
  readonly cacheDir: string;
  readonly setupFile: string;
  readonly projectDir: string;
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The user's config with the plugin, the setup file that writes the trace, and a temporary cache folder. */
export function withDucktrace(user: ConfigExport, options: DucktraceVitestOptions) {
  return async (env: unknown): Promise<UserConfig> => {
    const resolved = (typeof user === 'function' ? await user(env) : await user) ?? {};
    return {
      ...resolved,
      cacheDir: options.cacheDir,
      plugins: [...asList(resolved.plugins), ducktracePlugin(options.planFile, options.setupFile, options.projectDir)],
      test: { ...resolved.test, setupFiles: [...asList(resolved.test?.setupFiles), options.setupFile] },
    };
  };
}
