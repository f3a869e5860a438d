// What the three JavaScript adapters share: finding the project's own runner binary
// (node_modules/.bin, looking up through parent folders for monorepos), static discovery, and
// turning a run that could not produce a report into plain-words problems.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { scanJsTests } from '../../core/failures/jsTestScanner';
import type { DiscoveredTest, Framework } from '../../core/failures/testFailure';
import type { Discovery, RunSelection } from './adapter';
import { escapeRegExp } from './adapter';
import type { ProcessTreeResult } from '../process/processTree';

export function findBin(cwd: string, name: string): string | undefined {
  let dir = cwd;
  for (;;) {
    const candidate = join(dir, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function staticDiscovery(framework: Framework, files: readonly string[]): Discovery {
  const tests: DiscoveredTest[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      tests.push(...scanJsTests(readFileSync(file, 'utf8'), file, framework));
    } catch (err) {
      problems.push(`could not read ${file}: ${String(err)}`);
    }
  }
  return { tests, problems };
}

/** A `-t` / `--test-name-pattern` regex matching exactly the selected tests' full names. */
export function namePattern(selection: RunSelection, joiner = ' '): string | undefined {
  if (!selection.tests?.length) return undefined;
  const names = [...new Set(selection.tests.map((t) => [...t.suitePath, t.name].join(joiner)))];
  return `^(?:${names.map(escapeRegExp).join('|')})$`;
}

export function filesOf(selection: RunSelection): string[] {
  if (selection.tests?.length) return [...new Set(selection.tests.map((t) => t.file))];
  return [...(selection.files ?? [])];
}

export function runProblem(framework: Framework, result: ProcessTreeResult, timeoutMs: number): string {
  if (result.startError) return `${framework} could not be started: ${result.startError}.`;
  if (result.timedOut || result.idleKilled) return `The ${framework} run did not finish within ${Math.round(timeoutMs / 1000)} s; Ducktrace killed its process tree. A test may loop forever.`;
  const tail = result.output.trim().split('\n').slice(-10).join('\n');
  return `${framework} did not write a report (exit code ${result.exitCode}):\n${tail}`;
}
