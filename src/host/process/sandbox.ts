// The fence around test runs that execute a model's code: after a fix is applied, the tests (and
// the tracer) run inside bubblewrap (bwrap) on Linux: no network (a private network namespace with
// only its own loopback), the whole file system read-only except the workspace, the run's own
// report folders and a private, empty temporary folder (TMPDIR). The interpreter, node_modules,
// pyenv, the extension's own files and the rest stay readable. Processes stay in the runner's
// process group, so a timeout or a cancel still kills them all. Where bubblewrap is missing (or
// not Linux), runs are not fenced and the caller says so once.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** `auto`: sandbox runs after a model's change when bubblewrap is available; `off`: never. */
export type SandboxMode = 'auto' | 'off';

export const sandboxModes: readonly SandboxMode[] = ['auto', 'off'];

export interface SandboxSpec {
  /** The bubblewrap binary. */
  readonly bwrap: string;
  /** Folders the fenced program may write (the workspace, report folders); everything else is read-only. */
  readonly writable: readonly string[];
}

export interface SandboxChoice {
  /** Set when runs after a model's change are fenced. */
  readonly sandbox?: SandboxSpec;
  /** Why they are not, in words, when they are not and the user did not turn it off. */
  readonly notice?: string;
}

const probed = new Map<string, { bwrap?: string; problem?: string }>();

/** Finds bwrap on the PATH and checks once that it can start a sandbox here (user namespaces may be off). */
function probeBwrap(env: NodeJS.ProcessEnv): { bwrap?: string; problem?: string } {
  const path = env.PATH ?? '';
  let result = probed.get(path);
  if (!result) {
    result = probe(path);
    probed.set(path, result);
  }
  return result;
}

function probe(path: string): { bwrap?: string; problem?: string } {
  const bwrap = path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'bwrap'))
    .find((p) => existsSync(p));
  if (!bwrap) return { problem: 'bubblewrap (bwrap) is not installed' };
  const r = spawnSync(bwrap, ['--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-net', '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return { problem: `bubblewrap cannot start a sandbox here (${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]})` };
  return { bwrap };
}

/**
 * The sandbox for test runs after a model's change, or why there is none. `writable`: the
 * workspace folders (and anything else the runs must write).
 */
export function chooseSandbox(mode: SandboxMode, writable: readonly string[], platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): SandboxChoice {
  if (mode === 'off') return {};
  const unfenced = "Test runs after a model's change are not sandboxed";
  if (platform !== 'linux') return { notice: `${unfenced}: the sandbox needs Linux with bubblewrap. The proposed code runs with your permissions, network included.` };
  const { bwrap, problem } = probeBwrap(env);
  if (!bwrap) return { notice: `${unfenced}: ${problem}. The proposed code runs with your permissions, network included; install bubblewrap to fence it.` };
  return { sandbox: { bwrap, writable: [...new Set(writable.map((w) => resolve(w)))] } };
}

/** The same sandbox, also allowed to write `paths` (a run's report or trace folder). */
export function withWritable(spec: SandboxSpec | undefined, ...paths: readonly string[]): SandboxSpec | undefined {
  return spec && { ...spec, writable: [...new Set([...spec.writable, ...paths.map((p) => resolve(p))])] };
}

/** A command wrapped in bwrap, and the private temporary folder to remove when it has ended. */
export interface SandboxedLaunch {
  readonly command: string;
  readonly args: string[];
  /** Removes the run's private temporary folder. */
  dispose(): void;
}

/**
 * `command args` wrapped in bwrap with the spec's fence, starting in `cwd`. The program gets a
 * private, empty temporary folder as TMPDIR (TEMP, TMP), removed by `dispose`; /tmp itself stays
 * readable but not writable (an extension, a virtualenv or a workspace may live there).
 */
export function openSandbox(spec: SandboxSpec, command: string, args: readonly string[], cwd: string): SandboxedLaunch {
  const privateTmp = mkdtempSync(join(tmpdir(), 'ducktrace-sandbox-tmp-'));
  return { ...sandboxedCommand(spec, command, args, cwd, privateTmp), dispose: () => rmSync(privateTmp, { recursive: true, force: true }) };
}

/** The bwrap command line (no side effects): `privateTmp` is the writable TMPDIR inside. */
export function sandboxedCommand(spec: SandboxSpec, command: string, args: readonly string[], cwd: string, privateTmp: string): { command: string; args: string[] } {
  const writable = [...spec.writable.filter((w) => existsSync(w)), privateTmp];
  const fence = [
    // The fenced program dies with the runner, and stays in its process group (no new session).
    '--die-with-parent',
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--tmpfs', '/dev/shm',
    '--proc', '/proc',
    ...writable.flatMap((w) => ['--bind', w, w]),
    ...['TMPDIR', 'TEMP', 'TMP'].flatMap((name) => ['--setenv', name, privateTmp]),
    '--unshare-net',
    '--chdir', resolve(cwd),
    '--',
  ];
  return { command: spec.bwrap, args: [...fence, command, ...args] };
}
