// From the frames a runner printed to the frames that matter to the user: absolute paths, and
// nothing from the language runtime, the test runner or installed packages.
import { parsePythonTraceback, parseV8Stack, type StackFrame } from './stackFrames';
import { isAbsolutePath, resolvePath } from './paths';

const foreignPatterns: RegExp[] = [
  /^node:/,
  /^internal\//,
  /<anonymous>|^native$|^\[native code\]$/,
  /(^|[\\/])node_modules[\\/]/,
  /(^|[\\/])(site|dist)-packages[\\/]/,
  /^<frozen /,
  /^<(string|stdin)>$/,
  /[\\/]lib[\\/]python\d+(\.\d+)?[\\/]/,
  /[\\/]ducktrace_pytest\.py$/,
  /[\\/]nodeTestReporter\.js$/,
];

export function isUserFrame(frame: StackFrame): boolean {
  return !foreignPatterns.some((p) => p.test(frame.file));
}

/** Frames resolved against `root` (where the runner ran), runtime and library frames dropped. */
export function userFrames(frames: readonly StackFrame[], root: string): StackFrame[] {
  const out: StackFrame[] = [];
  for (const f of frames) {
    if (!isUserFrame(f)) continue;
    out.push({ ...f, file: isAbsolutePath(f.file) ? f.file : resolvePath(root, f.file) });
  }
  return out;
}

export function pythonFrames(text: string, root: string): StackFrame[] {
  return userFrames(parsePythonTraceback(text), root);
}

export function v8Frames(text: string, root: string): StackFrame[] {
  return userFrames(parseV8Stack(text), root);
}
