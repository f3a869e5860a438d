// Runs a test runner in its own process group, so that a timeout or a cancel kills everything it
// started (workers, the program stuck in a loop): spawn detached, then process.kill(-pid).
// Output is streamed to a callback and kept capped.
import { spawn } from 'node:child_process';
import { capText } from '../../core/failures/testFailure';

export interface TestProcessOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The whole run; 0 for none. */
  readonly timeoutMs: number;
  /** Killed when `isIdle()` says so, checked every second (a test that stopped making progress). */
  readonly isIdle?: () => boolean;
  readonly signal?: AbortSignal;
  readonly onOutput?: (text: string) => void;
  readonly maxOutputChars?: number;
}

export interface TestProcessResult {
  readonly exitCode: number | null;
  readonly output: string;
  readonly timedOut: boolean;
  readonly idleKilled: boolean;
  readonly cancelled: boolean;
  /** Set when the program could not be started at all (ENOENT...). */
  readonly startError?: string;
}

export function killProcessTree(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function runTestProcess(command: string, args: readonly string[], options: TestProcessOptions): Promise<TestProcessResult> {
  return new Promise((resolve) => {
    let output = '';
    const max = options.maxOutputChars ?? 400_000;
    let timedOut = false;
    let idleKilled = false;
    let cancelled = false;
    let settled = false;
    if (options.signal?.aborted) {
      resolve({ exitCode: null, output: '', timedOut, idleKilled, cancelled: true });
      return;
    }
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const onData = (chunk: string) => {
      options.onOutput?.(chunk);
      output += chunk;
      if (output.length > max * 2) output = capText(output, max);
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    const kill = () => killProcessTree(child.pid);
    const timer = options.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), kill()), options.timeoutMs) : undefined;
    const idleTimer = options.isIdle
      ? setInterval(() => {
          if (options.isIdle?.()) {
            idleKilled = true;
            kill();
          }
        }, 1000)
      : undefined;
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (exitCode: number | null, startError?: string) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (idleTimer) clearInterval(idleTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever the runner left behind in its group goes too.
      kill();
      resolve({ exitCode, output: capText(output, max), timedOut, idleKilled, cancelled, ...(startError ? { startError } : {}) });
    };
    child.on('error', (err: NodeJS.ErrnoException) => finish(null, err.code === 'ENOENT' ? `'${command}' was not found` : err.message));
    child.on('close', (code) => finish(code));
  });
}
