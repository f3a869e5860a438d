// A trace as people (and prompts) read it: one line per step, values as the tracer rendered them.

import type { Trace, TraceVars } from './traceModel';

function showVars(vars: TraceVars): string {
  return Object.entries(vars)
    .map(([name, value]) => `${name}=${value.text}`)
    .join(', ');
}

export function formatTrace(trace: Trace): string {
  const { target, calls, stats } = trace;
  const lines = [
    `${target.function} (${target.language}) in ${target.file}: ${calls.length} call${calls.length === 1 ? '' : 's'}, ${stats.steps} step${stats.steps === 1 ? '' : 's'} kept of ${stats.executedSteps ?? stats.steps}, ${stats.elapsedMs} ms`,
  ];
  if (trace.endedEarly) lines.push(trace.endedEarly.message);
  calls.forEach((call, i) => {
    lines.push('', `call ${i + 1}${call.depth ? ` (depth ${call.depth})` : ''}: ${target.function.split('.').pop()}(${showVars(call.args)})`);
    for (const step of call.steps) {
      if (step.skippedBefore) lines.push(`  … ${step.skippedBefore} step${step.skippedBefore === 1 ? '' : 's'} skipped`);
      lines.push(`  ${step.blockId} #${step.iteration}: ${showVars(step.vars)}`);
    }
    if (call.skippedAfter) lines.push(`  … ${call.skippedAfter} step${call.skippedAfter === 1 ? '' : 's'} skipped`);
    if (call.threw) lines.push(`  raised ${call.threw.text}`);
    else if (call.returned) lines.push(`  returned ${call.returned.text}`);
    else if (call.unfinished) lines.push('  (unfinished)');
  });
  const notes = trace.truncated ? trace.truncated.notes.filter((n) => n !== trace.endedEarly?.message) : [];
  if (notes.length) lines.push('', 'truncated:', ...notes.map((n) => `  - ${n}`));
  return lines.join('\n') + '\n';
}
