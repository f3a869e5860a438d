// ES module loader hooks (module.register, Node 20.6+), run on the loader thread: the target file's
// source is replaced by its instrumented text when Node loads it, if it is the text Ducktrace
// instrumented. A loader registered before ours (tsx, ts-node/esm) then transforms what we return.

import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPlannedSource } from './jsPlan';

interface HookPlan {
  readonly file: string;
  readonly source: string;
  readonly instrumented: string;
}

let plan: HookPlan | undefined;
let target = '';

export function initialize(data: { planFile: string }): void {
  try {
    plan = JSON.parse(readFileSync(data.planFile, 'utf8')) as HookPlan;
    try {
      target = realpathSync(plan.file);
    } catch {
      target = plan.file;
    }
  } catch {
    plan = undefined;
  }
}

type LoadResult = { format?: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };
type NextLoad = (url: string, context: unknown) => Promise<LoadResult>;


export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (!plan || !url.startsWith('file:') || result.source === null || result.source === undefined) return result;
  let file: string;
  try {
    file = fileURLToPath(url.replace(/[?#].*$/, ''));
  } catch {
    return result;
  }
  if (file !== target && file !== plan.file) return result;
  const text = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
  if (!isPlannedSource(text, plan)) return result;
  return { ...result, source: plan.instrumented };
}
