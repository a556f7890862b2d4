import { Queue } from 'bullmq';
import { createServer, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { freePort, ServiceProcess } from './support/service-process';
import { basicAuth, BOT_UID, deleteKeys, REDIS_URL, testEnv } from './support/test-app';
import { waitFor } from './support/wait-for';

/** A span as OTLP/JSON carries it, with its resource's service name. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  service: unknown;
}

// OTLP's SpanKind numbers.
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

type KeyValues = Array<{ key: string; value: Record<string, unknown> }> | undefined;
const attributesOf = (list: KeyValues) => Object.fromEntries((list ?? []).map(({ key, value }) => [key, Object.values(value)[0]]));

/** A stand-in for an OpenTelemetry collector: OTLP/HTTP with the JSON encoding, POST /v1/traces. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  private server: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests++;
        if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
          res.writeHead(404).end();
          return;
        }
        for (const { resource, scopeSpans } of JSON.parse(Buffer.concat(chunks).toString('utf8')).resourceSpans ?? []) {
          const service = attributesOf(resource?.attributes)['service.name'];
          for (const { spans } of scopeSpans ?? []) {
            for (const span of spans ?? []) this.spans.push({ ...span, attributes: attributesOf(span.attributes), service });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** OTLP/JSON to the receiver, batches sent within 50 ms so the test need not wait long. */
const exportingTo = (receiver: OtlpReceiver) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '50',
});

/** One message followed across processes and queues by its trace, exported to an OTLP endpoint. */
describe('traces', () => {
  let cometchat: FakeCometChat;
  let receiver: OtlpReceiver;
  let service: ServiceProcess | undefined;
  let prefix: string;
  let queue: Queue | undefined;

  beforeEach(async () => {
    cometchat = await new FakeCometChat().start();
    receiver = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    if (service) {
      service.kill('SIGKILL');
      await service.exited();
      service = undefined;
    }
    await queue?.close();
    queue = undefined;
    await deleteKeys(prefix);
    await receiver.stop();
    await cometchat.stop();
  });

  async function start(name: string, otel: Record<string, string>): Promise<ServiceProcess> {
    const env: Record<string, string> = {
      ...testEnv(name),
      COMETCHAT_API_URL: cometchat.url,
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      ...otel,
    };
    prefix = env.QUEUE_PREFIX;
    service = ServiceProcess.spawn(env);
    await waitFor('the service to listen', () => service!.output.includes('listening on'), { timeoutMs: 30_000 });
    return service;
  }

  /** Posts one callback and waits for its reply at the fake CometChat; returns the events job's stored options. */
  async function oneMessage(running: ServiceProcess) {
    const callback = fixture('user-text');
    const answer = await fetch(`${running.url}/webhooks/cometchat`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body: JSON.stringify(callback),
    });
    expect(await answer.json()).toMatchObject({ status: 'accepted' });
    await waitFor('the reply at CometChat', () => cometchat.delivered.some((c) => c.body.muid === `reply-${callback.data.id}-0`));
    queue = new Queue('events', { connection: { url: REDIS_URL }, prefix });
    queue.on('error', () => undefined);
    const [job] = await queue.getJobs(['completed']);
    return { callback, job };
  }

  it('one trace runs from the webhook request through both jobs to the CometChat call', async () => {
    const running = await start('tracing-on', exportingTo(receiver));
    const { job } = await oneMessage(running);

    const send = await waitFor(
      'the CometChat call span',
      () => receiver.spans.find((s) => s.kind === CLIENT && String(s.attributes['url.full']).includes(`/v3/bots/${BOT_UID}/messages`)),
      { timeoutMs: 20_000 },
    );
    const inTrace = () => receiver.spans.filter((s) => s.traceId === send.traceId);
    // A span is exported when it ends, and the jobs' spans end after the calls inside them: wait for all of them.
    const expected: [number, string][] = [
      [SERVER, 'POST /webhooks/cometchat'],
      [PRODUCER, 'add events.bot-event'],
      [CONSUMER, 'process events'],
      [PRODUCER, 'add replies.bot-reply'],
      [CONSUMER, 'process replies'],
    ];
    const spans = await waitFor('every span of the trace', () => {
      const found = inTrace();
      return expected.every(([kind, name]) => found.some((s) => s.kind === kind && s.name === name)) && found;
    });
    const one = (kind: number, name: string) => {
      const found = spans.filter((s) => s.kind === kind && s.name === name);
      expect(found.map((s) => s.name)).toEqual([name]);
      return found[0];
    };
    const webhook = one(SERVER, 'POST /webhooks/cometchat');
    const addEvent = one(PRODUCER, 'add events.bot-event');
    const processEvent = one(CONSUMER, 'process events');
    const addReply = one(PRODUCER, 'add replies.bot-reply');
    const processReply = one(CONSUMER, 'process replies');
    expect(webhook.attributes['http.route']).toBe('/webhooks/cometchat');
    expect(webhook.parentSpanId ?? '').toBe(''); // the trace starts at the webhook
    expect(spans.every((s) => s.service === 'cometchat-bot-service')).toBe(true);

    // Each step descends from the one before it, back to the webhook's request.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (span: ReceivedSpan) => {
      const chain: string[] = [];
      for (let at = byId.get(span.parentSpanId ?? ''); at; at = byId.get(at.parentSpanId ?? '')) chain.push(at.spanId);
      return chain;
    };
    const chain = [webhook, addEvent, processEvent, addReply, processReply, send];
    chain.slice(1).forEach((span, n) => expect(ancestors(span)).toContain(chain[n].spanId));

    // The context travelled in the job itself, as bullmq-otel stores it.
    expect(JSON.parse(job.opts.telemetry!.metadata!).traceparent).toContain(send.traceId);
  });

  it('callbacks stored together in one batch each keep their own request’s trace', async () => {
    const running = await start('tracing-batch', { ...exportingTo(receiver), OTEL_SERVICE_NAME: 'bot-east' });
    // Pipelined on one connection, in one write: both requests are handled in the same event-loop turn, so the
    // producer stores their jobs in one batch.
    const callbacks = [fixture('user-text'), fixture('user-text')];
    const request = (body: unknown) => {
      const json = JSON.stringify(body);
      return [
        `POST /webhooks/cometchat HTTP/1.1`,
        `host: 127.0.0.1`,
        `authorization: ${basicAuth()}`,
        `content-type: application/json`,
        `content-length: ${Buffer.byteLength(json)}`,
        '',
        json,
      ].join('\r\n');
    };
    const socket = connect(running.port, '127.0.0.1');
    let answers = '';
    socket.on('data', (chunk: Buffer) => (answers += chunk.toString()));
    socket.write(callbacks.map(request).join(''));
    await waitFor('both answers', () => answers.match(/"status":"accepted"/g)?.length === 2);
    socket.destroy();

    const webhooks = await waitFor('both webhook request spans', () => {
      const found = receiver.spans.filter((s) => s.kind === SERVER && s.name === 'POST /webhooks/cometchat');
      return found.length === 2 && found;
    });
    expect(webhooks[0].traceId).not.toBe(webhooks[1].traceId);
    expect(webhooks.map((s) => s.service)).toEqual(['bot-east', 'bot-east']);
    await waitFor('both events jobs traced', () => receiver.spans.filter((s) => s.name === 'add events.bot-event').length === 2);
    for (const webhook of webhooks) {
      const adds = receiver.spans.filter((s) => s.traceId === webhook.traceId && s.name === 'add events.bot-event');
      expect(adds).toHaveLength(1);
    }
  });

  it('is off with OTEL_SDK_DISABLED=true: nothing is exported and jobs carry no trace context', async () => {
    const running = await start('tracing-off', { ...exportingTo(receiver), OTEL_SDK_DISABLED: 'true' });
    const { job } = await oneMessage(running);
    expect(job.opts.telemetry).toBeUndefined();

    // A graceful stop flushes whatever the SDK held: after it, the receiver would have every span there was.
    running.kill('SIGTERM');
    expect((await running.exited()).code).toBe(0);
    expect(receiver.requests).toBe(0);
  });
});
