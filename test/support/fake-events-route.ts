import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

const HANDLED = ['message_edited', 'message_deleted', 'message_reaction_added', 'message_reaction_removed'];

/**
 * A stand-in for the service's app-webhook route (POST /webhooks/cometchat/events), answering as DESIGN.md says it
 * does: 401 with WWW-Authenticate for wrong credentials, 200 ignored unsupported-trigger for a trigger it does not
 * handle, 200 accepted otherwise; 404 for any other path. `mode` makes it hang or answer 503 instead. Records every
 * request. For doctor's check where no service runs (several bots) or where it must not answer (`hang`).
 */
export class FakeEventsRoute {
  readonly requests: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: any }> = [];
  mode: 'route' | 'hang' | 'unavailable' = 'route';
  private server?: Server;
  private readonly hanging = new Set<import('node:http').ServerResponse>();

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
        const send = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
          res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
        if (this.mode === 'hang') return void this.hanging.add(res);
        if (req.method !== 'POST' || req.url?.replace(/\/$/, '') !== '/webhooks/cometchat/events') {
          return send(404, { statusCode: 404, error: 'Not Found', message: 'no such route' });
        }
        const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
        if (req.headers.authorization !== expected) {
          return send(
            401,
            { statusCode: 401, error: 'Unauthorized', message: 'wrong credentials' },
            { 'www-authenticate': 'Basic realm="cometchat-events"' },
          );
        }
        if (this.mode === 'unavailable') return send(503, { statusCode: 503, error: 'Service Unavailable' }, { 'retry-after': '5' });
        if (!HANDLED.includes(body?.trigger)) return send(200, { status: 'ignored', reason: 'unsupported-trigger' });
        return send(200, { status: 'accepted', id: 'evt' });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
