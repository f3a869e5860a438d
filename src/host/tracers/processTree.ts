// Runs a command in its own process group so that a timeout kills everything it started (a test
// runner's workers, a program stuck in an endless loop): spawn detached, then process.kill(-pid).

import { spawn } from 'node:child_process';

export interface ProcessResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Output kept per stream; the rest is dropped (from the middle). */
  readonly maxOutputChars?: number;
}

function killTree(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
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

class Capped {
  private text = '';
  private dropped = 0;
  constructor(private readonly max: number) {}
  add(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.max) {
      const half = Math.floor(this.max / 2);
      this.dropped += this.text.length - this.max;
      this.text = this.text.slice(0, half) + this.text.slice(this.text.length - (this.max - half));
    }
  }
  toString(): string {
    if (!this.dropped) return this.text;
    const half = Math.floor(this.max / 2);
    return `${this.text.slice(0, half)}\n… (${this.dropped} characters of output left out) …\n${this.text.slice(half)}`;
  }
}

export function runProcessTree(command: string, args: readonly string[], options: RunOptions): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = new Capped(options.maxOutputChars ?? 200_000);
    const stderr = new Capped(options.maxOutputChars ?? 200_000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => stdout.add(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => stderr.add(c));
    let timedOut = false;
    let hardKill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child.pid, 'SIGTERM');
      hardKill = setTimeout(() => killTree(child.pid, 'SIGKILL'), 1000);
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (hardKill) clearTimeout(hardKill);
      // Whatever the test runner left behind in the group goes too.
      killTree(child.pid, 'SIGKILL');
      resolve({ exitCode, signal, stdout: stdout.toString(), stderr: stderr.toString(), timedOut, elapsedMs: Date.now() - started });
    });
  });
}
