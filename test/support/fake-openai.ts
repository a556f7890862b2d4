import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** What the fake model answers one request with. */
export type ModelAnswer =
  | {
      text: string;
      /** The streamed content chunks, exactly; by default `text` in pieces of six characters. */
      pieces?: string[];
      /** A streamed answer waits on this after its first piece: "before the rest" is a moment the test controls. */
      gate?: Promise<unknown>;
      /** The connection is cut after the first piece (after the gate, if any): a stream that breaks mid-answer. */
      cutAfterFirst?: boolean;
      /** Each piece after the first waits this long: a model that writes slowly. */
      pieceDelayMs?: number;
    }
  | { toolCall: { name: string; args: unknown } }
  | { status: number; headers?: Record<string, string> }
  | { hang: true };

export interface ModelRequest {
  body: any;
  headers: IncomingMessage['headers'];
  /** The client closed the connection before the answer ended (an aborted call). */
  abandoned: boolean;
  /** When it was abandoned (ms since the epoch). */
  abandonedAt?: number;
  /** Content pieces written to the stream so far. */
  sent: number;
  /** When it arrived (ms since the epoch). */
  at: number;
}

export const USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

export const contentOf = (message: any): string =>
  typeof message.content === 'string' ? message.content : (message.content ?? []).map((p: any) => p.text ?? '').join('');

/** The text of the newest user message of a request. */
export const lastUserText = (body: any): string => contentOf([...body.messages].reverse().find((m: any) => m.role === 'user'));

/** Echoes the user's text back as `model says: …`, or the tool's result after a tool call. */
export function defaultAnswer(body: any): ModelAnswer {
  const last = body.messages[body.messages.length - 1];
  if (last.role === 'tool') return { text: `the tool said ${contentOf(last)}` };
  return { text: `model says: ${lastUserText(body)}` };
}

/** A gate a test opens. */
export class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release() {
    this.open();
  }
}

/**
 * A stand-in for an OpenAI-compatible server: POST /v1/chat/completions, answered as JSON or, when the request
 * asks for a stream, as server-sent events ending `data: [DONE]`. `answer` decides each request; by default
 * defaultAnswer.
 */
export class FakeModelServer {
  readonly requests: ModelRequest[] = [];
  answer: (body: any, request: number) => ModelAnswer = defaultAnswer;
  private server: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** The requests whose newest user message contains `text`. */
  about(text: string): ModelRequest[] {
    return this.requests.filter((r) => lastUserText(r.body).includes(text));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw);
    const record: ModelRequest = { body, headers: req.headers, abandoned: false, sent: 0, at: Date.now() };
    this.requests.push(record);
    res.on('close', () => {
      if (res.writableEnded) return;
      record.abandoned = true;
      record.abandonedAt = Date.now();
    });
    const answer = this.answer(body, this.requests.length);
    if ('hang' in answer) {
      if (body.stream) res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
      return;
    }
    if ('status' in answer) {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify({ error: { message: `fake model error ${answer.status}`, type: 'server_error' } }));
      return;
    }
    const base = { id: `chatcmpl-${this.requests.length}`, created: Math.floor(Date.now() / 1000), model: body.model };
    const toolCall =
      'toolCall' in answer
        ? {
            id: `call_${this.requests.length}`,
            type: 'function',
            function: { name: answer.toolCall.name, arguments: JSON.stringify(answer.toolCall.args) },
          }
        : undefined;
    if (!body.stream) {
      const message = toolCall
        ? { role: 'assistant', content: null, tool_calls: [toolCall] }
        : { role: 'assistant', content: (answer as { text: string }).text };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message, finish_reason: toolCall ? 'tool_calls' : 'stop' }],
          usage: USAGE,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
    const chunk = (delta: unknown, finish: string | null = null) =>
      send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
    chunk({ role: 'assistant', content: '' });
    if (toolCall) {
      chunk({ tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } }] });
      chunk({ tool_calls: [{ index: 0, function: { arguments: toolCall.function.arguments } }] });
      chunk({}, 'tool_calls');
    } else {
      const { text, pieces, gate, cutAfterFirst, pieceDelayMs } = answer as Extract<ModelAnswer, { text: string }>;
      // In pieces, as a model streams: the bot path must put them back together.
      for (const piece of pieces ?? text.match(/.{1,6}/gs) ?? []) {
        if (pieceDelayMs && record.sent > 0) await new Promise((resolve) => setTimeout(resolve, pieceDelayMs));
        if (res.destroyed) return;
        chunk({ content: piece });
        record.sent++;
        if (gate && record.sent === 1) await gate;
        if (cutAfterFirst) res.destroy();
        if (res.destroyed) return; // the client went away while the stream waited
      }
      chunk({}, 'stop');
    }
    send({ ...base, object: 'chat.completion.chunk', choices: [], usage: USAGE });
    res.end('data: [DONE]\n\n');
  }
}
