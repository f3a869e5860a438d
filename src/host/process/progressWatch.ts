// Is a test run still making progress? Every runner Ducktrace starts writes a report as it goes
// (pytest's events, node's and the jest and vitest reporters' progress, the JavaScript coverage
// runs' report and spectra): a run whose report has stopped growing for too long is stuck, and
// runProcessTree kills it when `isIdle` says so (checked every second). One watch for all of them.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ProgressWatchOptions {
  /** How long the report (and `alsoWatch`) may go without growing before the run is idle. */
  readonly limitMs: number;
  /** Before anything is written the runner is still starting (loading a config, compiling): it gets this long. `limitMs` unless given. */
  readonly startupMs?: number;
  /** More files or folders (every file under them) whose growth counts as progress too. */
  readonly alsoWatch?: readonly string[];
  /**
   * Asked once the limit is over, with the report's size: whether the run is really stuck (pytest:
   * a test has started and not ended; between tests pytest may be collecting). Stuck unless given.
   */
  readonly stuck?: (reportSize: number) => boolean;
  /** Milliseconds now: Date.now unless a test brings its own clock. */
  readonly clock?: () => number;
}

/** A report watched for growth. */
export interface ProgressWatch {
  /** For runProcessTree's `isIdle`: nothing grew for the limit (and the run is stuck). */
  readonly isIdle: () => boolean;
  /**
   * The report, as it was when the watch first called the run idle if `stopped`: what the runner
   * wrote while it was being stopped (node's runner reports its files as failed on SIGTERM) is no
   * result. Empty when there is no report.
   */
  readonly read: (stopped: boolean) => string;
}

/** Watches `report`, the file a runner writes as it goes: see ProgressWatchOptions. */
export function watchProgress(report: string, options: ProgressWatchOptions): ProgressWatch {
  const clock = options.clock ?? Date.now;
  const startupMs = options.startupMs ?? options.limitMs;
  let size = 0;
  let since = clock();
  let idleAt: number | undefined;
  return {
    isIdle: () => {
      const reportSize = sizeOf(report);
      const now = (options.alsoWatch ?? []).reduce((n, p) => n + sizeOf(p), reportSize);
      if (now !== size) {
        size = now;
        since = clock();
        return false;
      }
      if (clock() - since <= (size === 0 ? startupMs : options.limitMs)) return false;
      if (options.stuck && !options.stuck(reportSize)) return false;
      idleAt ??= reportSize;
      return true;
    },
    read: (stopped) => {
      if (!existsSync(report)) return '';
      const bytes = readFileSync(report);
      return (stopped && idleAt !== undefined ? bytes.subarray(0, idleAt) : bytes).toString('utf8');
    },
  };
}

/** Bytes in a file, or in every file under a folder; 0 for what is not there (yet). */
function sizeOf(path: string): number {
  try {
    const st = statSync(path);
    return st.isDirectory() ? readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0) : st.size;
  } catch {
    return 0;
  }
}
