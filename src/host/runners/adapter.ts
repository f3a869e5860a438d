// One adapter per framework: how to discover its tests and how to run them, turning the runner's
// report into the core's TestRunReport.
import type { DiscoveredTest, Framework, TestRunReport } from '../../core/failures/testFailure';
import type { SandboxSpec } from '../process/sandbox';

export interface RunnerContext {
  /** The project folder: where the framework's config or package.json is; the runner runs here. */
  readonly cwd: string;
  /** Folder holding ducktrace_pytest.py and nodeTestReporter.js (the extension's or CLI's dist/). */
  readonly helpersDir: string;
  /** The Python interpreter for pytest. */
  readonly python: string;
  /** Per-test timeout. A run that makes no progress for this long is killed. */
  readonly testTimeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onOutput?: (text: string) => void;
  /** Scratch folder for reports (created by the caller, removed by the caller). */
  readonly tempDir: string;
  /** The project's test files as its own command or config finds them (see testFiles.ts). */
  readonly testFiles?: readonly string[];
  /**
   * A plain run: the project's own runner invocation with the environment untouched, and nothing
   * of Ducktrace's (no per-test timeout flags, no plugin); only what reads the results is added.
   * A run that makes no progress is still stopped.
   */
  readonly plain?: boolean;
  /** Runs the runner fenced (bubblewrap), allowed to write the project and `tempDir`: after a model's change. */
  readonly sandbox?: SandboxSpec;
}

/** Which tests to run: everything, or some files, or some tests. */
export interface RunSelection {
  readonly files?: readonly string[];
  readonly tests?: readonly Pick<DiscoveredTest, 'file' | 'suitePath' | 'name' | 'nodeId'>[];
}

export interface Discovery {
  readonly tests: DiscoveredTest[];
  readonly problems: string[];
}

export interface FrameworkAdapter {
  readonly framework: Framework;
  discover(ctx: RunnerContext, files: readonly string[]): Promise<Discovery>;
  run(ctx: RunnerContext, selection: RunSelection): Promise<TestRunReport>;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
