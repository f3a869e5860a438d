// The function to debug for a failing test, as sure as Ducktrace can be: the target finder reads
// the stack and the code (src/core/blocks/targetFinder.ts); when that leaves it unsure and the test
// may be run (a trusted workspace), one run of the failing test says which of the candidates ran
// (calledFunctions.ts) and the candidates are ranked again. What remains unsure comes back with
// confidence 'low': the editor asks the user to choose, the CLI takes `--target`. When several
// candidates share the first one's module, a run of the failing test's file orders them by which
// ran in the failing tests and not in the passing ones (functionSpectrumRun.ts).

import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { isConventionalTestFile, rankByRun, TargetFinder, type FailureLocation, type TargetSearch, type TestFileOutcome } from '../../core/blocks/targetFinder';
import { moduleWorthOrdering, rankWithinModule } from '../../core/blocks/functionSpectrum';
import { languageForFile } from '../../core/blocks/languages';
import { calledFunctions, type CalledFunction, type CalledFunctionsRequest } from './calledFunctions';
import { functionSpectrumRun, type FunctionSpectrumRun } from './functionSpectrumRun';
import { parseJsTestId } from './jsTestLaunch';

export interface FindTargetRequest {
  readonly failure: FailureLocation;
  /** Workspace folders: the only places a target may be. */
  readonly roots: readonly string[];
  readonly files: SourceFiles;
  readonly parser: SourceParser;
  readonly isTestFile?: (file: string) => boolean;
  /** How each test file fared in the run the failure comes from: ranks the candidates' modules when the finder is unsure. */
  readonly outcomes?: readonly TestFileOutcome[];
  /**
   * How to rerun the failing test when the code alone leaves the finder unsure (`confidence` not
   * 'high'). Leave it out where no test may run (an untrusted workspace) or when speed matters more.
   */
  readonly run?: Omit<CalledFunctionsRequest, 'roots' | 'parser'>;
}

export interface FoundTarget extends TargetSearch {
  /** The functions the run saw, when a run was made. */
  readonly ran?: readonly CalledFunction[];
  /** Why the run could not help (it could not start, or it saw nothing of the workspace). */
  readonly runProblem?: string;
  /** The module whose candidates a function spectrum run ordered (several candidates in it). */
  readonly orderedWithin?: string;
}

export async function findTarget(request: FindTargetRequest): Promise<FoundTarget> {
  const finder = new TargetFinder(request.files, request.parser, { roots: request.roots, ...(request.isTestFile ? { isTestFile: request.isTestFile } : {}), ...(request.outcomes ? { outcomes: request.outcomes } : {}) });
  const search = await finder.search(request.failure);
  if (search.confidence === 'high' || !request.run || request.run.signal?.aborted) return search;
  // A failure with no line and no frame (a test file that did not load) ran no test: a run would
  // see only what loading the modules ran, and blame it.
  if (!search.candidates.length && !request.failure.line && !request.failure.stack?.length) return search;
  let ran: readonly CalledFunction[];
  try {
    ran = (await calledFunctions({ ...request.run, roots: request.roots, parser: request.parser })).functions;
  } catch (err) {
    return { ...search, runProblem: err instanceof Error ? err.message : String(err) };
  }
  const isTest = request.isTestFile ?? ((file: string) => isConventionalTestFile(file, request.roots));
  const code = ran.filter((r) => !isTest(r.file));
  if (!code.length) return { ...search, ran, runProblem: 'the run saw no function of the workspace outside the tests' };
  const ranked = rankByRun(search, code, (r) => (r as CalledFunction).target);
  return { ...(await orderWithinModule(ranked, request)), ran };
}

/** At most this many functions of one module count their entries in the function spectrum run. */
const maxSpectrumFunctions = 60;

/**
 * Several candidates in the first candidate's module: one more run, of the failing test's whole
 * file, with each of them counting its entries per test, orders them (functionSpectrum.ts). A run
 * that cannot be made or says nothing leaves the order as it was.
 */
async function orderWithinModule(search: TargetSearch, request: FindTargetRequest): Promise<TargetSearch & { orderedWithin?: string }> {
  const run = request.run;
  const module = moduleWorthOrdering(search.candidates);
  if (!run || !module || search.confidence === 'high' || run.signal?.aborted || languageForFile(module) === 'python') return search;
  const testFile = parseJsTestId(run.cwd, run.test).file;
  if (languageForFile(testFile) === 'python' || !languageForFile(testFile)) return search;
  const inModule = search.candidates.filter((c) => c.file === module).slice(0, maxSpectrumFunctions);
  let spectrum: FunctionSpectrumRun;
  try {
    spectrum = await functionSpectrumRun({
      cwd: run.cwd,
      testFile,
      functions: inModule,
      parser: request.parser,
      ...(run.framework ? { framework: run.framework } : {}),
      ...(run.node ? { node: run.node } : {}),
      ...(run.env ? { env: run.env } : {}),
      ...(run.timeoutMs ? { timeoutMs: run.timeoutMs } : {}),
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.sandbox ? { sandbox: run.sandbox } : {}),
    });
  } catch {
    return search;
  }
  if (!spectrum.tests.length) return search;
  const ranked = rankWithinModule(inModule, module, spectrum.tests).candidates;
  const slots = search.candidates.map((c, i) => (inModule.includes(c) ? i : -1)).filter((i) => i >= 0);
  const candidates = [...search.candidates];
  slots.forEach((slot, k) => (candidates[slot] = ranked[k]!));
  // A statistical order: when it changes which function comes first, the finder is no longer sure of it.
  const confidence = candidates[0] === search.candidates[0] ? search.confidence : 'low';
  return { candidates, confidence, orderedWithin: module };
}
