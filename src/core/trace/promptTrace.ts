// A trace as the duck's prompt reads it: values as their short renderings.
import type { PromptTrace } from '../duck/prompt';
import type { Trace, TraceValue } from './traceModel';

export function toPromptTrace(trace: Trace): PromptTrace {
  const text = (v: TraceValue) => v.text;
  const vars = (vs: Readonly<Record<string, TraceValue>>) => Object.fromEntries(Object.entries(vs).map(([k, v]) => [k, text(v)]));
  return {
    calls: trace.calls.map((c) => ({
      args: vars(c.args),
      steps: c.steps.map((s) => ({ blockId: s.blockId, iteration: s.iteration, vars: vars(s.vars) })),
      result: c.returned ? text(c.returned) : undefined,
      error: c.threw ? text(c.threw) : undefined,
      ...(c.unfinished ? { unfinished: true } : {}),
    })),
    // The notes say why (the run ended early, steps left out): the model must not read a cut trace as whole.
    truncated: trace.truncated === false ? false : { notes: trace.truncated.notes },
  };
}
