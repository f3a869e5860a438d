// Loaded into the test process with `--require` (node --test hands it to the process that runs
// the test file). It installs the probes' runtime as globalThis.__ducktrace and swaps the target
// file's source for its instrumented text as Node loads it: CommonJS through
// Module.prototype._compile, ES modules through a loader hook (module.register). Only that one file,
// and only when its text is the one Ducktrace instrumented; nothing on disk is touched. Without
// DUCKTRACE_JS_PLAN it does nothing.

import fs, { readFileSync, realpathSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { planEnv, sourceHash, stoppedExitCode, type JsTracePlan } from './jsPlan';
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
  const recorder = new Recorder(plan, (reason) => {
    try {
      process.stderr.write(`\nducktrace: stopped the program after ${reason === 'steps' ? `${plan.budget.maxExecutedSteps} executed steps` : 'its time limit'}\n`);
    } catch {
      // the stream may be gone
    }
    process.exit(stoppedExitCode);
  });
  (globalThis as Record<string, unknown>).__ducktrace = recorder;

  type Compile = (this: unknown, content: string, filename: string) => unknown;
  const proto = Module.prototype as unknown as { _compile: Compile };
  const compile = proto._compile;
  proto._compile = function (this: unknown, content: string, filename: string) {
    if (typeof content === 'string' && realpath(filename) === target && sourceHash(content) === plan.sourceHash) {
      return compile.call(this, plan.instrumented, filename);
    }
    return compile.call(this, content, filename);
  };

  // TypeScript loaders for CommonJS (tsx) read the file themselves and compile their own output:
  // hand them the instrumented TypeScript when they read this one file as text.
  if (plan.file.endsWith('ts') || plan.file.endsWith('tsx')) {
    const read = fs.readFileSync;
    const patched = function (this: unknown, path: unknown, options?: unknown) {
      const result = read.call(fs, path as string, options as BufferEncoding);
      if (typeof result === 'string' && typeof path === 'string' && (path === plan.file || path === target) && sourceHash(result) === plan.sourceHash) return plan.instrumented;
      return result;
    };
    fs.readFileSync = patched as typeof fs.readFileSync;
  }

  const register = (Module as unknown as { register?: (specifier: string, options: unknown) => void }).register;
  if (register) register(pathToFileURL(join(__dirname, 'ducktrace_js_hooks.mjs')).href, { data: { planFile } });

  process.on('exit', () => {
    try {
      recorder.write();
    } catch (e) {
      process.stderr.write(`ducktrace tracer: could not write the trace: ${String(e)}\n`);
    }
  });
  // A test waiting forever (a promise that never settles, a timer loop): write what we have. Only
  // where the target ran: the runner's own process leaves its children to the host's kill.
  const wait = plan.deadlineAt - Date.now();
  if (wait > 0) {
    setTimeout(() => {
      if (recorder.entered) recorder.stop('time');
    }, wait).unref();
  }
}

const planFile = process.env[planEnv];
if (planFile) {
  try {
    install(planFile);
  } catch (e) {
    process.stderr.write(`ducktrace tracer: not tracing: ${String(e)}\n`);
  }
}
