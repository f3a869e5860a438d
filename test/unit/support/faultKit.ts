// Helpers for the fault-injection and hostile-program tests: temp copies of fixture projects,
// byte-for-byte snapshots of the user's files, and checks that no process of a group survived.

import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** Tool caches that test runners write next to the code; not the user's files. */
const caches = /(^|[\\/])(__pycache__|\.pytest_cache|\.benchmarks|\.hypothesis|node_modules)([\\/]|$)/;

export function copyFixture(...parts: string[]): string {
  const from = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', ...parts);
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-fault-'));
  cpSync(from, dir, { recursive: true, filter: (src) => !caches.test(relative(from, src)) });
  return dir;
}

/** Every user file under `dir` (caches left out), path -> bytes. */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (caches.test(relative(dir, p))) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Compares two snapshots; returns the differences in words (empty when byte-identical). */
export function snapshotDiff(before: Map<string, Buffer>, after: Map<string, Buffer>): string[] {
  const problems: string[] = [];
  for (const [file, bytes] of before) {
    const now = after.get(file);
    if (!now) problems.push(`${file} was deleted`);
    else if (!now.equals(bytes)) problems.push(`${file} changed`);
  }
  for (const file of after.keys()) if (!before.has(file)) problems.push(`${file} was created`);
  return problems;
}

/** Live (non-zombie) processes in the process group, from /proc. */
export function livingInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // gone while reading
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (briefly) until `check` holds: killed processes take a moment to go. */
export async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
