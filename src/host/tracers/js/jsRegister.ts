// Loaded into the test process before the runner: `node --require` for node's test runner (which
// hands it on to the process that runs the test file), for jest (run in band, so the test runs in
// this process) and for mocha (one process: Ducktrace starts mocha's own _mocha with node); through NODE_OPTIONS for vitest (its workers inherit it). It installs the probes'
// runtime as globalThis.__ducktrace, and as the function process.__ducktrace for code in jest's vm
// sandbox (jest's copy of `process` keeps functions by reference). It writes the trace at exit.
//
// Where the target's source is swapped for its instrumented text depends on the runner, always for
// that one file only and only when its text is the one Ducktrace instrumented; nothing on disk is
// touched:
// - node and mocha: as Node loads it, CommonJS through Module.prototype._compile, ES modules through
//   a loader hook (module.register), TypeScript when its loader (tsx, ts-node) reads it;
// - jest: when jest's runtime reads the file (fs.readFileSync, as text or bytes), so the user's own
//   transform (babel-jest, ts-jest) compiles the instrumented source;
// - vitest: not here; a Vite plugin does it in the main process (jsVitestConfig.ts).
// With a coverage plan (mode 'coverage') the recorder is jsCoverage.ts's: which blocks each test ran,
// the running test read from the runner (node's through hooks installed here). Without
// DUCKTRACE_JS_PLAN it does nothing, except for the call census (DUCKTRACE_JS_COVERAGE_FLUSH):
// then it only makes sure V8's coverage is written when a runner ends its worker with SIGTERM.

import fs, { readFileSync, realpathSync } from 'node:fs';
import v8 from 'node:v8';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { CoverageRecorder, followNodeTests } from './jsCoverage';
import { coverageFlushEnv, isPlannedSource, planEnv, stoppedExitCode, type JsTracePlan } from './jsPlan';
import { Recorder } from './jsRuntime';

function realpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function install(planFile: string): void {
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as JsTracePlan;
  const target = realpath(plan.file);
  const runner = plan.runner ?? 'node';
  // mocha's tests run in this process, loaded by Node itself: the target's text is swapped as for node's runner.
  const nodeLoads = runner === 'node' || runner === 'mocha';
  const recorder =
    plan.mode === 'coverage'
      ? new CoverageRecorder(plan, () => {
          if (!isMainThread) stopChannel?.postMessage('written');
          process.exit(stoppedExitCode);
        })
      : new Recorder(plan, (reason) => {
          try {
            process.stderr.write(`\nducktrace: stopped the program after ${reason === 'steps' ? `${plan.budget.maxExecutedSteps} executed steps` : 'Ducktrace asked it to stop (time limit)'}\n`);
          } catch {
            // the stream may be gone
          }
          if (!isMainThread) stopChannel?.postMessage('written');
          process.exit(stoppedExitCode);
        });
  if (recorder instanceof CoverageRecorder && runner === 'node') followNodeTests(recorder);
  // Stack traces through the instrumented file point at the user's columns too (its source map is
  // inline); jest and vitest map stacks themselves. Not in coverage mode: Node's source map support
  // costs the process ~10 ms or more of start-up, and the host maps the target's frames itself
  // (jsSpectra.ts), the only ones it reads.
  if (nodeLoads && plan.mode !== 'coverage') process.setSourceMapsEnabled(true);
  if (recorder instanceof CoverageRecorder) {
    // Its records say whether stacks were mapped (a TypeScript loader may turn source maps on).
    const setSourceMaps = process.setSourceMapsEnabled.bind(process);
    process.setSourceMapsEnabled = (enabled: boolean) => {
      recorder.sourceMapsSet = enabled;
      setSourceMaps(enabled);
    };
  }
  (globalThis as Record<string, unknown>).__ducktrace = recorder;
  Object.defineProperty(process, '__ducktrace', { value: () => recorder, configurable: true, writable: true, enumerable: false });

  const isTarget = (path: unknown) => typeof path === 'string' && (path === plan.file || path === target);
  if (nodeLoads) {
    type Compile = (this: unknown, content: string, filename: string) => unknown;
    const proto = Module.prototype as unknown as { _compile: Compile };
    const compile = proto._compile;
    proto._compile = function (this: unknown, content: string, filename: string) {
      if (typeof content === 'string' && realpath(filename) === target && isPlannedSource(content, plan)) {
        return compile.call(this, plan.instrumented, filename);
      }
      return compile.call(this, content, filename);
    };
  }

  // TypeScript loaders for CommonJS (tsx) read the file themselves and compile their own output:
  // hand them the instrumented TypeScript when they read this one file as text. Jest's runtime reads
  // every module as bytes and hands the text to the project's transform. mocha loads ES modules with
  // require() where Node can (20.19+, 22.12+): Node then reads an imported module's bytes through
  // fs.readFileSync with its file: URL, and the loader hooks below never see it.
  const typeScript = /\.[cm]?tsx?$/.test(plan.file);
  if (runner === 'jest' || runner === 'mocha' || (nodeLoads && typeScript)) {
    const read = fs.readFileSync;
    const asPath = (path: unknown): unknown => {
      try {
        return path instanceof URL || (typeof path === 'string' && path.startsWith('file:')) ? fileURLToPath(path) : path;
      } catch {
        return path;
      }
    };
    const patched = function (this: unknown, path: unknown, options?: unknown) {
      const result = read.call(fs, path as string, options as BufferEncoding) as unknown;
      if (!isTarget(asPath(path))) return result;
      if (typeof result === 'string') return isPlannedSource(result, plan) ? plan.instrumented : result;
      if ((runner === 'jest' || runner === 'mocha') && Buffer.isBuffer(result) && isPlannedSource(result.toString('utf8'), plan)) return Buffer.from(plan.instrumented, 'utf8');
      return result;
    };
    fs.readFileSync = patched as typeof fs.readFileSync;
  }

  // The loader hooks run on a thread of their own: started only for a file Node loads as an ES module.
  const register = (Module as unknown as { register?: (specifier: string, options: unknown) => void }).register;
  if (nodeLoads && register && loadsAsEsModule(target)) register(pathToFileURL(join(__dirname, 'ducktrace_js_hooks.mjs')).href, { data: { planFile } });

  process.on('exit', (code) => {
    try {
      recorder.writeAtExit(code);
    } catch (e) {
      process.stderr.write(`ducktrace tracer: could not write the trace: ${String(e)}\n`);
    }
  });
  stopOnHostSignal(recorder);
}

/** Node loads the file as an ES module: `.mjs`/`.mts`, or `.js`/`.ts` under a package.json with "type": "module". */
export function loadsAsEsModule(file: string): boolean {
  if (/\.m[jt]s$/.test(file)) return true;
  if (/\.c[jt]s$/.test(file)) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown }).type === 'module';
    } catch {
      // no package.json here (or not JSON): the next one up decides
    }
    if (dirname(dir) === dir) return false;
  }
}

/**
 * `node --test`'s own process, which only starts one process per test file (they load this module
 * again, with NODE_TEST_CONTEXT set): nothing to install there. Node 22's `--test-isolation=none`
 * runs the tests in it, though.
 */
function isNodeTestParent(): boolean {
  const args = process.execArgv;
  return args.includes('--test') && !process.env.NODE_TEST_CONTEXT && !args.some((a) => /^--(experimental-)?test-isolation=none$/.test(a));
}

/** Worker threads get no signals: the main thread passes the host's stop on over this channel. */
let stopChannel: BroadcastChannel | undefined;

function openStopChannel(): void {
  if (stopChannel) return;
  try {
    stopChannel = new BroadcastChannel('ducktrace-stop');
    stopChannel.unref();
  } catch {
    stopChannel = undefined;
  }
}

/**
 * One clock for the time limit, the host's: when it is over, the host sends SIGTERM to the test's
 * process group. Where the target ran, the recorder writes its trace so far and ends the process
 * (124); vitest's worker threads hear it from their process's main thread. Elsewhere (node's test
 * runner parent, vitest's main process) the signal does what it would have done.
 */
function stopOnHostSignal(recorder: Recorder | CoverageRecorder): void {
  // A worker listens from its start, and the main thread opens its side from the start too: opened
  // only when the signal came (to save ~5 ms of start-up), a worker of vitest's threads pool now and
  // then missed the stop in a clean-clone CI run and the trace ended without its last steps.
  if (isMainThread) openStopChannel();
  if (!isMainThread) {
    openStopChannel();
    stopChannel?.addEventListener('message', (event) => {
      if ((event as MessageEvent).data === 'stop' && recorder.entered) recorder.stop('signal');
    });
    return;
  }
  const onSignal = (): void => {
    if (recorder.entered) {
      recorder.stop('signal');
      return;
    }
    openStopChannel();
    // A runner's own process: its children (node --test, vitest forks) got the signal too and are
    // writing; its worker threads (vitest threads) hear it now. Dying at once would make the host
    // kill the whole group while they write: go a little later, or once a worker says it is done.
    let gone = false;
    const resignal = () => {
      if (gone) return;
      gone = true;
      process.removeListener('SIGTERM', onSignal);
      process.kill(process.pid, 'SIGTERM');
    };
    stopChannel?.addEventListener('message', (event) => {
      if ((event as MessageEvent).data === 'written') resignal();
    });
    stopChannel?.postMessage('stop');
    setTimeout(resignal, 3000).unref();
  };
  process.on('SIGTERM', onSignal);
}

/**
 * The call census (calledFunctions.ts) reads V8's coverage, which Node does not write on every
 * way out: test runners end their workers with SIGTERM, or with an exit that skips it (vitest's
 * forks, seen both ways). Write it on both.
 */
function flushCoverageOnExit(): void {
  if (!isMainThread) return;
  const take = (): void => {
    try {
      v8.takeCoverage();
    } catch {
      // not collecting coverage
    }
  };
  const onSignal = (): void => {
    take();
    process.removeListener('SIGTERM', onSignal);
    process.kill(process.pid, 'SIGTERM');
  };
  process.on('SIGTERM', onSignal);
  process.on('exit', take);
}

if (process.env[coverageFlushEnv] && process.env.NODE_V8_COVERAGE) flushCoverageOnExit();

const planFile = process.env[planEnv];
if (planFile && !isNodeTestParent()) {
  try {
    install(planFile);
  } catch (e) {
    process.stderr.write(`ducktrace tracer: not tracing: ${String(e)}\n`);
  }
}
