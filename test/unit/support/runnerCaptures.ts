// Reads the runner reports captured by test/fixtures/runners/capture.sh.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '../../../..');
export const runnersDir = join(repoRoot, 'test/fixtures/runners');

export function capture(relative: string): string {
  return readFileSync(join(runnersDir, relative), 'utf8');
}
