// Runs a command in its own process group, so that a timeout, an idle watch or a cancel ends
// everything it started (a runner's workers, a program stuck in an endless loop, a grandchild it
// left behind): spawn detached, then signal the group with process.kill(-pid). Windows has no
// process groups: there `tree-kill` ends the tree (taskkill /T). The one place where Ducktrace
// starts test runners and tracers.

import { spawn } from 'node:child_process';
import treeKill from 'tree-kill';
import { openSandbox, type SandboxSpec } from './sandbox';

export interface ProcessTreeOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The whole run; 0 for none. */
  readonly timeoutMs: number;
  /** Killed when `isIdle()` says so, checked every second (a test that stopped making progress). */
  readonly isIdle?: () => boolean;
  /** Cancels the run: the group is killed and the result says `cancelled`. */
  readonly signal?: AbortSignal;
  /** Each chunk of stdout and stderr as it comes. */
  readonly onOutput?: (text: string) => void;
  /** Characters kept per stream (and for the interleaved output); the rest is dropped from the middle. */
  readonly maxOutputChars?: number;
  /** Runs the command inside this fence (bubblewrap): after a model's change. */
  readonly sandbox?: SandboxSpec;
  /** Between SIGTERM and SIGKILL when the run is stopped (default 1000 ms): a tracer writes its trace then. */
  readonly stopGraceMs?: number;
  /**
   * After the program exits, how long what it left in its process group may go on before it is
   * killed (default 0): a runner's worker it just told to stop may still be writing (V8's coverage).
   */
  readonly lingerMs?: number;
}

export interface ProcessTreeResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved as they came. */
  readonly output: string;
  readonly timedOut: boolean;
  readonly idleKilled: boolean;
  readonly cancelled: boolean;
  /** Set when the program could not be started at all (ENOENT...). */
  readonly startError?: string;
  readonly elapsedMs: number;
}

/**
 * Signals the process group of `pid` (the process alone if it has none). On Windows, where
 * children are not in a group of their own, the whole tree of `pid` is ended with tree-kill.
 */
export function killProcessTree(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL', platform: NodeJS.Platform = process.platform): void {
  if (!pid) return;
  if (platform === 'win32') {
    // taskkill /T /F: Windows has no signals to choose from; a tree that is already gone is fine.
    treeKill(pid, signal, () => undefined);
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Whether any process of the group `pgid` is still running. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Keeps the head and the tail of a long text, saying how much of the middle was left out. */
class CappedText {
  private text = '';
  private dropped = 0;
  constructor(private readonly max: number) {}
  add(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.max * 2) this.trim();
  }
  private trim(): void {
    if (this.text.length <= this.max) return;
    const half = Math.floor(this.max / 2);
    this.dropped += this.text.length - this.max;
    this.text = this.text.slice(0, half) + this.text.slice(this.text.length - (this.max - half));
  }
  toString(): string {
    this.trim();
    if (!this.dropped) return this.text;
    const half = Math.floor(this.max / 2);
    return `${this.text.slice(0, half)}\n… (${this.dropped} characters of output left out) …\n${this.text.slice(half)}`;
  }
}

/** Never rejects: a program that cannot start comes back with `startError`. */
export function runProcessTree(command: string, args: readonly string[], options: ProcessTreeOptions): Promise<ProcessTreeResult> {
  const started = Date.now();
  const max = options.maxOutputChars ?? 400_000;
  const stdout = new CappedText(max);
  const stderr = new CappedText(max);
  const output = new CappedText(max);
  let timedOut = false;
  let idleKilled = false;
  let cancelled = false;
  const result = (exitCode: number | null, signal: NodeJS.Signals | null, startError?: string): ProcessTreeResult => ({
    exitCode,
    signal,
    stdout: stdout.toString(),
    stderr: stderr.toString(),
    output: output.toString(),
    timedOut,
    idleKilled,
    cancelled,
    ...(startError ? { startError } : {}),
    elapsedMs: Date.now() - started,
  });
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      cancelled = true;
      resolve(result(null, null));
      return;
    }
    let launch: { command: string; args: readonly string[]; dispose(): void };
    try {
      launch = options.sandbox ? openSandbox(options.sandbox, command, args, options.cwd) : { command, args, dispose: () => undefined };
    } catch (err) {
      resolve(result(null, null, `the sandbox could not be prepared: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    const child = spawn(launch.command, [...launch.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const onData = (stream: CappedText) => (chunk: string) => {
      stream.add(chunk);
      output.add(chunk);
      options.onOutput?.(chunk);
    };
    child.stdout?.setEncoding('utf8').on('data', onData(stdout));
    child.stderr?.setEncoding('utf8').on('data', onData(stderr));
    // SIGTERM first (a tracer or runner may write what it has), SIGKILL after the grace period.
    let hardKill: NodeJS.Timeout | undefined;
    const stop = () => {
      killProcessTree(child.pid, 'SIGTERM');
      hardKill ??= setTimeout(() => killProcessTree(child.pid, 'SIGKILL'), options.stopGraceMs ?? 1000);
    };
    const timer = options.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), stop()), options.timeoutMs) : undefined;
    const idleTimer = options.isIdle
      ? setInterval(() => {
          if (!idleKilled && options.isIdle?.()) {
            idleKilled = true;
            stop();
          }
        }, 1000)
      : undefined;
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, startError?: string) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (idleTimer) clearInterval(idleTimer);
      if (hardKill) clearTimeout(hardKill);
      options.signal?.removeEventListener('abort', onAbort);
      const end = () => {
        // Whatever the program left behind in its group goes too.
        killProcessTree(child.pid, 'SIGKILL');
        launch.dispose();
        resolve(result(exitCode, signal, startError));
      };
      const linger = options.lingerMs ?? 0;
      if (linger <= 0 || !child.pid || process.platform === 'win32') return end();
      const until = Date.now() + linger;
      const poll = () => (groupAlive(child.pid!) && Date.now() < until ? setTimeout(poll, 50) : end());
      poll();
    };
    child.on('error', (err: NodeJS.ErrnoException) => finish(null, null, err.code === 'ENOENT' ? `'${command}' was not found` : err.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** For callers that cannot go on without the program: its start error as an exception. */
export async function runProcessTreeOrThrow(command: string, args: readonly string[], options: ProcessTreeOptions): Promise<ProcessTreeResult> {
  const r = await runProcessTree(command, args, options);
  if (r.startError) throw new Error(`${command}: ${r.startError}`);
  return r;
}
