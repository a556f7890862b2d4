import { createServer, Server, Socket, connect } from 'node:net';
import { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of the real Redis, so a test can take "Redis" away from one app without touching
 * the shared server: `down()` cuts every connection and refuses new ones, `stall()` keeps connections open
 * but forwards nothing (a Redis too slow to answer), `up()` restores normal service.
 */
export class RedisProxy {
  private server: Server;
  private mode: 'up' | 'down' | 'stall' = 'up';
  private sockets = new Set<Socket>();

  constructor(private readonly target = { host: '127.0.0.1', port: 6379 }) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  down(): void {
    this.mode = 'down';
    this.cutAll();
  }

  stall(): void {
    this.mode = 'stall';
  }

  up(): void {
    // Stalled connections hold half-sent commands; cut them so clients reconnect cleanly.
    if (this.mode === 'stall') this.cutAll();
    this.mode = 'up';
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private cutAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private accept(client: Socket): void {
    if (this.mode === 'down') {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (this.mode === 'up') to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }
}
