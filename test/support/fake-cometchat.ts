import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  at: number;
  /** What the fake answered: a status, or 'hang' / 'reset'. */
  answer: number | 'hang' | 'reset';
}

export type Behaviour =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { hang: true }
  | { reset: true };

/**
 * A stand-in for CometChat's REST API: records every call and answers from a script of behaviours
 * (429, 5xx, 4xx, hangs, connection resets), then 200 with a stored message once the script is used up.
 */
export class FakeCometChat {
  readonly calls: RecordedCall[] = [];
  private script: Behaviour[] = [];
  private server: Server;
  private hanging = new Set<ServerResponse>();
  private nextId = 5000;
  private waiters: Array<() => void> = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3`;
  }

  /** The next calls get these answers, in order. */
  answerNext(...behaviours: Behaviour[]): void {
    this.script.push(...behaviours);
  }

  /** Calls that CometChat would have stored (answered 2xx). */
  get delivered(): RecordedCall[] {
    return this.calls.filter((c) => typeof c.answer === 'number' && c.answer < 300);
  }

  async waitForCalls(count: number, timeoutMs = 15_000): Promise<RecordedCall[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} CometChat calls, saw ${this.calls.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.calls;
  }

  releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async stop(): Promise<void> {
    this.releaseHanging();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* recorded as text */
      }
      const behaviour = this.script.shift() ?? { status: 200 };
      const call: RecordedCall = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
        answer: 'hang' in behaviour ? 'hang' : 'reset' in behaviour ? 'reset' : behaviour.status,
      };
      this.calls.push(call);
      this.waiters.splice(0).forEach((wake) => wake());
      if ('hang' in behaviour) {
        this.hanging.add(res);
        return;
      }
      if ('reset' in behaviour) {
        req.socket.destroy();
        return;
      }
      const answer =
        behaviour.body ??
        (behaviour.status < 300
          ? { data: { id: String(this.nextId++), sender: 'support-bot', ...body, sentAt: Math.floor(Date.now() / 1000) } }
          : { error: { code: 'ERR_FAKE', message: `fake ${behaviour.status}` } });
      const send = () => {
        res.writeHead(behaviour.status, { 'content-type': 'application/json', ...(behaviour.headers ?? {}) });
        res.end(JSON.stringify(answer));
      };
      if (behaviour.delayMs) setTimeout(send, behaviour.delayMs);
      else send();
    });
  }
}
