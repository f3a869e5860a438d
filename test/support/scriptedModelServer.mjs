// A real HTTP server on loopback that speaks the OpenAI chat-completions protocol (JSON and SSE
// streaming, tool calls, error bodies) and answers with scripted replies, for tests only. It is
// never shipped and never presented to users as a model.
//
// Each scripted step is one of:
//   { reply: 'text' }                       a normal answer (streamed in chunks when asked to stream)
//   { toolCall: { name, arguments } }       an answer as a tool call
//   { status: 429, retryAfter: 1 }          an error status with an OpenAI-style error body
//   { status: 400, code: 'context_length_exceeded' }
//   { status: 429 }                         the same without retry-after
//   { hang: true }                          accept the request and never answer (no headers)
//   { hangAfterHeaders: true }              send 200 and the stream's headers, then nothing
//   { stallAfter: 'partial text' }          stream some text, then send nothing more (connection open)
//   { disconnectAfter: 'partial text' }     stream some text, then drop the connection
//   { endAfter: 'partial text' }            stream some text, then end the response cleanly with
//                                           neither a finish_reason nor [DONE]
//   { endless: true, chunkDelayMs: 0 }      stream 'x' chunks until the client goes away (each
//                                           `chunkSize` long, or the step's own `chunkSize`)
//   { malformed: true }                     stream bytes that are not SSE JSON
//   { jsonBody: 'raw text' }                answer 200 application/json with this body as is
//                                           (a server that ignores `stream: true`, or a broken one)
//   { body: 'text', contentType: 'text/html' } answer 200 with this body and content type
//   { delayMs: 200, ... }                   wait before answering (and between stream chunks)
// When the script runs out, the last step repeats. Every request is recorded in `requests` (with
// `at`, when it arrived, and `abandoned`, set when the client closed it before the answer ended).
// `routes` ([{ when: 'text', ...step }]) answer by content instead: the first route whose `when`
// occurs in the request's messages wins (each route once unless `repeat: true`), before the script.
// `unsupportedParams` (e.g. ['max_tokens']) makes every request carrying one of them fail with 400
// and OpenAI's own error body for it, as OpenAI does for `max_tokens` with its reasoning models.
import { createServer } from 'node:http';

export async function startScriptedModelServer({ steps = [], routes = [], model = 'scripted-model', chunkSize = 12, unsupportedParams = [] } = {}) {
  const script = [...steps];
  const pending = [...routes];
  const requests = [];
  const sockets = new Set();
  let last;

  const next = (body) => {
    const text = JSON.stringify(body.messages ?? []);
    const i = pending.findIndex((r) => text.includes(JSON.stringify(r.when).slice(1, -1)));
    if (i >= 0) {
      const route = pending[i];
      if (!route.repeat) pending.splice(i, 1);
      return route;
    }
    if (script.length) last = script.shift();
    return last ?? { reply: '' };
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname.endsWith('/models')) {
      return json(res, 200, { object: 'list', data: [{ id: model, object: 'model', owned_by: 'test' }] });
    }
    if (req.method !== 'POST' || !url.pathname.endsWith('/chat/completions')) {
      return json(res, 404, { error: { message: `no route ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
    }
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return json(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
    }
    const entry = { body, headers: req.headers, path: url.pathname, query: Object.fromEntries(url.searchParams), at: Date.now(), abandoned: false };
    requests.push(entry);
    // The client went away before the answer was complete (it cancelled, or gave up).
    res.on('close', () => {
      if (!res.writableFinished) entry.abandoned = true;
    });
    const unsupported = unsupportedParams.find((p) => body[p] !== undefined);
    if (unsupported) {
      const instead = unsupported === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
      return json(res, 400, { error: { message: `Unsupported parameter: '${unsupported}' is not supported with this model. Use '${instead}' instead.`, type: 'invalid_request_error', param: unsupported, code: 'unsupported_parameter' } });
    }
    const step = next(body);
    if (step.delayMs) await sleep(step.delayMs);
    if (step.hang) return; // the client's timeout or abort must end this
    if (step.jsonBody !== undefined || step.body !== undefined) {
      res.writeHead(200, { 'content-type': step.contentType ?? 'application/json' });
      return res.end(step.jsonBody ?? step.body);
    }
    if (step.status) {
      const headers = step.retryAfter !== undefined ? { 'retry-after': String(step.retryAfter) } : {};
      return json(res, step.status, { error: { message: step.message ?? `scripted ${step.status}`, type: step.type ?? 'error', code: step.code ?? null } }, headers);
    }
    const id = `chatcmpl-${requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      const message = step.toolCall
        ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: step.toolCall.name, arguments: step.toolCall.arguments } }] }
        : { role: 'assistant', content: step.reply ?? '' };
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model ?? model,
        choices: [{ index: 0, message, finish_reason: step.toolCall ? 'tool_calls' : 'stop' }],
        usage: { prompt_tokens: estimate(body.messages), completion_tokens: estimate(step.reply ?? ''), total_tokens: 0 },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (step.hangAfterHeaders) return res.flushHeaders();
    const send = (delta, finish = null) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model ?? model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    if (step.malformed) {
      res.write('data: {"id": "broken", "choices": [ {"delta": \n\n');
      res.write('this is not server-sent events\n\n');
      return res.end();
    }
    send({ role: 'assistant', content: '' });
    if (step.endless) {
      let gone = false;
      res.on('close', () => (gone = true));
      while (!gone && !res.destroyed) {
        // Respect back-pressure so an endless stream does not fill this process's memory.
        if (!send({ content: 'x'.repeat(step.chunkSize ?? chunkSize) })) await new Promise((r) => res.once('drain', r).once('close', r));
        await sleep(step.chunkDelayMs ?? 0);
      }
      return;
    }
    const text = step.disconnectAfter ?? step.stallAfter ?? step.endAfter ?? step.reply ?? '';
    if (step.toolCall) {
      send({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: step.toolCall.name, arguments: '' } }] });
      for (const piece of chunks(step.toolCall.arguments, chunkSize)) {
        send({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
        if (step.chunkDelayMs) await sleep(step.chunkDelayMs);
      }
      send({}, 'tool_calls');
    } else {
      for (const piece of chunks(text, chunkSize)) {
        if (res.destroyed) return;
        send({ content: piece });
        if (step.chunkDelayMs) await sleep(step.chunkDelayMs);
      }
      if (step.disconnectAfter !== undefined) {
        // Let what was written reach the client first: the cut comes after it, mid-answer.
        await new Promise((r) => res.write('', r));
        await sleep(50);
        res.socket?.destroy();
        return;
      }
      if (step.stallAfter !== undefined) return; // the connection stays open, silent
      if (step.endAfter !== undefined) return res.end();
      send({}, 'stop');
    }
    if (body.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model ?? model, choices: [], usage: { prompt_tokens: estimate(body.messages), completion_tokens: estimate(text), total_tokens: 0 } })}\n\n`);
    }
    res.write('data: [DONE]\n\n');
    res.end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    /** Appends more scripted steps. */
    push(...more) {
      script.push(...more);
    },
    route(...more) {
      pending.push(...more);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (data += d));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function* chunks(text, size) {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

function estimate(x) {
  return Math.ceil(JSON.stringify(x ?? '').length / 4);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
