// A trace as the duck's prompt reads it: the calls with their values as the tracer typed and
// rendered them (`{ type, text }`: numbers stay numbers), the recursion depth, the outcome, and
// the tracer's own notes on what it left out.
import type { PromptTrace } from '../duck/prompt';
import type { Trace } from './traceModel';

export function toPromptTrace(trace: Trace): PromptTrace {
  return {
    calls: trace.calls.map((c) => ({
      args: c.args,
      depth: c.depth,
      steps: c.steps,
      ...(c.returned ? { returned: c.returned } : {}),
      ...(c.threw ? { threw: c.threw } : {}),
      ...(c.unfinished ? { unfinished: true } : {}),
    })),
    // The notes say why (the run ended early, steps left out): the model must not read a cut trace as whole.
    truncated: trace.truncated,
  };
}
