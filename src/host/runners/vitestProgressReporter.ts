// A vitest reporter (bundled on its own into dist/ducktraceVitestReporter.mjs) that writes each
// module's and each test's start and result as one JSON line as vitest reports them: the task
// API of vitest 3 and 4 (onTestModuleStart, onTestCaseReady, onTestCaseResult, onTestModuleEnd)
// and the task packs of vitest 1 and 2 (onTaskUpdate). When Ducktrace has to kill a run, these
// lines hold every result that came before. It runs inside the user's vitest, so it depends on
// nothing but Node; a reporter changes nothing the tests see. Lines: src/core/failures/progressReport.ts.
import { appendFileSync, writeFileSync } from 'node:fs';

interface TestError {
  message?: string;
  stack?: string;
  name?: string;
}

/** vitest 1/2's tasks (`ctx.state.idMap`). */
interface Task {
  type?: string;
  name?: string;
  filepath?: string;
  suite?: Task;
  file?: Task;
  location?: { line?: number; column?: number };
  result?: { state?: string; errors?: TestError[]; duration?: number };
}

/** vitest 3/4's reported entities. */
interface Entity {
  type?: string;
  name?: string;
  moduleId?: string;
  module?: Entity;
  parent?: Entity;
  location?: { line?: number; column?: number };
  result?: () => { state?: string; errors?: TestError[] } | undefined;
  diagnostic?: () => { duration?: number } | undefined;
  errors?: () => TestError[];
  state?: () => string;
}

const statusOf: Record<string, string> = { pass: 'passed', passed: 'passed', fail: 'failed', failed: 'failed', skip: 'skipped', skipped: 'skipped', todo: 'skipped', pending: 'pending', run: 'running' };

/**
 * Each error as `Name: message` and its `at` lines. vitest's own JSON report gives the stack alone,
 * and some errors carry a stack made elsewhere (a timeout's reads "STACK_TRACE_ERROR").
 */
function messages(errors: TestError[] | undefined): string[] {
  return (errors ?? []).map((e) => {
    const head = [e.name || 'Error', e.message].filter(Boolean).join(': ');
    const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
    return [head, ...frames].join('\n') || 'failed';
  });
}

export class ProgressReporter {
  private ctx?: { state?: { idMap?: Map<string, Task> } };

  constructor(private readonly file: string) {
    writeFileSync(file, '');
  }

  private write(line: Record<string, unknown>): void {
    appendFileSync(this.file, JSON.stringify(line) + '\n');
  }

  onInit(ctx: { state?: { idMap?: Map<string, Task> } }): void {
    this.ctx = ctx;
    this.write({ event: 'runStart' });
  }

  // ---- vitest 3 and 4 ----

  onTestModuleStart(module: Entity): void {
    this.write({ event: 'fileStart', file: module.moduleId });
  }

  onTestCaseReady(test: Entity): void {
    this.write({ event: 'testStart', file: test.module?.moduleId, ancestorTitles: ancestors(test), title: test.name, ...(test.location ? { location: test.location } : {}) });
  }

  onTestCaseResult(test: Entity): void {
    const result = test.result?.();
    this.write({
      event: 'test',
      file: test.module?.moduleId,
      ancestorTitles: ancestors(test),
      title: test.name,
      status: statusOf[result?.state ?? ''] ?? result?.state,
      ...(test.location ? { location: test.location } : {}),
      duration: test.diagnostic?.()?.duration,
      failureMessages: messages(result?.errors),
    });
  }

  onTestModuleEnd(module: Entity): void {
    const errors = module.errors?.() ?? [];
    this.write({ event: 'file', file: module.moduleId, status: errors.length ? 'failed' : 'passed', message: messages(errors).join('\n\n') });
  }

  // ---- vitest 1 and 2 ----

  onTaskUpdate(packs: [string, Task['result']?][]): void {
    for (const [id, result] of packs) {
      const task = this.ctx?.state?.idMap?.get(id);
      if (!task || !result?.state) continue;
      const status = statusOf[result.state] ?? result.state;
      if (task.filepath) {
        if (status === 'running') this.write({ event: 'fileStart', file: task.filepath });
        else if (status === 'failed' || status === 'passed') this.write({ event: 'file', file: task.filepath, status, message: messages(result.errors).join('\n\n') });
        continue;
      }
      if (task.type !== 'test' && task.type !== 'custom') continue;
      const file = task.file?.filepath;
      const titles: string[] = [];
      for (let s = task.suite; s && !s.filepath; s = s.suite) if (s.name) titles.unshift(s.name);
      if (status === 'running') this.write({ event: 'testStart', file, ancestorTitles: titles, title: task.name });
      else this.write({ event: 'test', file, ancestorTitles: titles, title: task.name, status, ...(task.location ? { location: task.location } : {}), duration: result.duration, failureMessages: messages(result.errors) });
    }
  }

  onFinished(): void {
    this.write({ event: 'done' });
  }

  onTestRunEnd(): void {
    this.write({ event: 'done' });
  }
}

function ancestors(test: Entity): string[] {
  const titles: string[] = [];
  for (let p = test.parent; p && p.type === 'suite'; p = p.parent) if (p.name) titles.unshift(p.name);
  return titles;
}
