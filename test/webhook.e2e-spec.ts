import { request } from 'node:http';
import { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { fixture } from './support/fixtures';
import { basicAuth, TestApp } from './support/test-app';

/** The webhook's answer table, against the real app and Redis, with no workers (APP_ROLE=api). */
describe('POST /webhooks/cometchat', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start('webhook', { APP_ROLE: 'api', WEBHOOK_BODY_LIMIT: String(64 * 1024) });
  });
  afterAll(() => app.close());

  const eventJobsFor = async (messageId: string) => (await app.jobs('events')).filter((job) => job.data.data.id === messageId);

  describe('200 accepted', () => {
    it('stores the message in the events queue before answering', async () => {
      const callback = fixture('user-text');
      const res = await app.post(callback);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'accepted', id: callback.data.id });

      const [job] = await eventJobsFor(callback.data.id);
      expect(job).toBeDefined();
      expect(job.id).toMatch(new RegExp(`^evt-${callback.data.id}-`));
      // Exactly as CometChat sent it, once: the worker builds the responders' event from it.
      expect(job.data).toEqual(callback);
    });

    it('keeps fields it does not know, and takes every answerable category', async () => {
      const callback = fixture('user-custom-location');
      callback.data.somethingNew = { from: 'a later CometChat version' };
      callback.extraEnvelopeField = 42;
      expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
      const [job] = await eventJobsFor(callback.data.id);
      expect(job.data.data.somethingNew).toEqual({ from: 'a later CometChat version' });
      expect(job.data.extraEnvelopeField).toBe(42);
      expect(job.data.data.data.customData).toEqual({ latitude: 52.52, longitude: 13.405 });

      for (const name of ['user-image', 'group-mention', 'group-thread-reply'] as const) {
        expect((await app.post(fixture(name))).json()).toMatchObject({ status: 'accepted' });
      }
    });

    it("takes a callback at its bot's own path, /webhooks/cometchat/{botUid}, and 404 at a bot's it does not serve", async () => {
      const callback = fixture('user-text');
      callback.data.id = `${callback.data.id}7`;
      const at = (botUid: string) =>
        app.app.inject({
          method: 'POST',
          url: `/webhooks/cometchat/${botUid}`,
          headers: { authorization: basicAuth(), 'content-type': 'application/json' },
          payload: JSON.stringify(callback),
        });
      const elsewhere = await at('sales-bot');
      expect(elsewhere.statusCode).toBe(404);
      expect(elsewhere.body).not.toContain('support-bot');
      expect(await eventJobsFor(callback.data.id)).toHaveLength(0);
      expect((await at('support-bot')).json()).toEqual({ status: 'accepted', id: callback.data.id });
      expect(await eventJobsFor(callback.data.id)).toHaveLength(1);
    });

    it('accepts a JSON content type with a charset', async () => {
      const res = await app.post(fixture('user-text'), { contentType: 'application/json; charset=utf-8' });
      expect(res.json()).toMatchObject({ status: 'accepted' });
    });
  });

  describe('200 duplicate', () => {
    it('answers a redelivery "duplicate" and stores it zero more times', async () => {
      const callback = fixture('group-mention');
      expect((await app.post(callback)).json()).toEqual({ status: 'accepted', id: callback.data.id });
      expect((await app.post(callback)).json()).toEqual({ status: 'duplicate', id: callback.data.id });
      expect(await eventJobsFor(callback.data.id)).toHaveLength(1);
    });

    it('accepts exactly one of many concurrent deliveries of the same message', async () => {
      const callback = fixture('user-text');
      const answers = await Promise.all(Array.from({ length: 25 }, () => app.post(callback)));
      const statuses = answers.map((r) => r.json().status);
      expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
      expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(24);
      expect(await eventJobsFor(callback.data.id)).toHaveLength(1);
    });

    it('remembers a message id for 24 hours', async () => {
      const callback = fixture('user-text');
      await app.post(callback);
      const ttl = await app.redis().pttl(`${app.prefix}:events:de:${callback.data.id}`);
      expect(ttl).toBeGreaterThan(23 * 3600 * 1000);
      expect(ttl).toBeLessThanOrEqual(24 * 3600 * 1000);
    });
  });

  describe('200 ignored', () => {
    it("never stores the bot's own message (loop guard)", async () => {
      const callback = fixture('bot-own-message');
      expect((await app.post(callback)).json()).toEqual({ status: 'ignored', id: callback.data.id, reason: 'own-message' });
      // CometChat lowercases UIDs; a differently cased sender is still the bot.
      const shouting = fixture('bot-own-message');
      shouting.data.sender = 'SUPPORT-BOT';
      expect((await app.post(shouting)).json()).toMatchObject({ status: 'ignored', reason: 'own-message' });
      expect(await eventJobsFor(callback.data.id)).toHaveLength(0);
    });

    it('ignores triggers other than after_message', async () => {
      const callback = fixture('user-text');
      callback.trigger = 'before_message';
      expect((await app.post(callback)).json()).toEqual({ status: 'ignored', id: callback.data.id, reason: 'unsupported-trigger' });
      expect(await eventJobsFor(callback.data.id)).toHaveLength(0);
    });

    it('ignores action and call messages', async () => {
      const action = fixture('group-action-joined');
      expect((await app.post(action)).json()).toEqual({ status: 'ignored', id: action.data.id, reason: 'unsupported-category' });
      const call = fixture('user-text');
      call.data.category = 'call';
      call.data.type = 'audio';
      expect((await app.post(call)).json()).toMatchObject({ status: 'ignored', reason: 'unsupported-category' });
      expect([...(await eventJobsFor(action.data.id)), ...(await eventJobsFor(call.data.id))]).toHaveLength(0);
    });
  });

  describe('400', () => {
    const expectBadRequest = (res: { statusCode: number; json(): any }, ...mentions: string[]) => {
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      for (const m of mentions) expect(body.message).toContain(m);
    };

    it('rejects malformed JSON', async () => {
      expectBadRequest(await app.post(null, { raw: '{"trigger": "after_message", ' }), 'JSON');
    });

    it('rejects an empty body', async () => {
      expectBadRequest(await app.post(null, { raw: '' }));
    });

    it('rejects a body that is not an object', async () => {
      for (const raw of ['[1,2]', '"text"', '42', 'null']) {
        expectBadRequest(await app.post(null, { raw }), 'JSON object');
      }
    });

    it('names a missing field', async () => {
      const callback = fixture('user-text');
      delete callback.data.sender;
      expectBadRequest(await app.post(callback), 'data.sender');
    });

    it('names every mistyped field', async () => {
      const callback = fixture('user-text');
      callback.data.id = 1045;
      callback.data.receiverType = 'room';
      callback.trigger = ['after_message'];
      expectBadRequest(await app.post(callback), 'data.id', 'data.receiverType', 'trigger');
    });

    it('stores nothing when it refuses', async () => {
      const before = (await app.jobs('events')).length;
      const callback = fixture('user-text');
      delete callback.data;
      expectBadRequest(await app.post(callback), 'data');
      expect((await app.jobs('events')).length).toBe(before);
    });
  });

  describe('401', () => {
    it.each([
      ['no credentials', null],
      ['a wrong password', basicAuth('cometchat', 'wrong')],
      ['a wrong user', basicAuth('someone', 'e2e-secret-password')],
      ['another scheme', 'Bearer e2e-secret-password'],
      ['garbage', 'Basic !!!'],
    ])('refuses %s with a Basic challenge', async (_, authorization) => {
      const callback = fixture('user-text');
      const res = await app.post(callback, { authorization });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="[^"]+"/);
      expect(await eventJobsFor(callback.data.id)).toHaveLength(0);
    });

    it('checks credentials before looking at the body', async () => {
      const res = await app.post(null, { raw: 'not json', authorization: null });
      expect(res.statusCode).not.toBe(200);
    });
  });

  it('413 for a body over the limit', async () => {
    const callback = fixture('user-text');
    callback.data.data.text = 'x'.repeat(70 * 1024);
    const res = await app.post(callback);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('415 for a body that is not JSON', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await app.post(null, { raw: 'trigger=after_message', contentType });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
    }
  });

  it('415 for a compressed body (a Content-Encoding it does not take), not a misleading 400', async () => {
    const callback = fixture('user-text');
    const res = await app.app.inject({
      method: 'POST',
      url: '/webhooks/cometchat',
      headers: { authorization: basicAuth(), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify(callback)),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().message).toContain('Content-Encoding gzip');
    expect(await eventJobsFor(callback.data.id)).toHaveLength(0);
  });

  it('takes the route with a trailing slash, as a callback URL is often pasted', async () => {
    const callback = fixture('user-text');
    const res = await app.app.inject({
      method: 'POST',
      url: '/webhooks/cometchat/',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      payload: JSON.stringify(callback),
    });
    expect(res.json()).toEqual({ status: 'accepted', id: callback.data.id });
  });

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'] as const)('answers %s with 405 and Allow: POST', async (method) => {
    const res = await app.app.inject({ method, url: '/webhooks/cometchat' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.json()).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
  });

  it('refuses a body nested past the documented depth with 400, claiming no place; the next message goes through', async () => {
    const deep = fixture('user-text');
    deep.data.data.metadata = '__DEEP__';
    const raw = JSON.stringify(deep).replace('"__DEEP__"', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`);
    const res = await app.post(null, { raw });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('nested deeper than 64 levels');
    const line = await app.redis().zrange(`${app.prefix}:events:line:user-${deep.data.sender}`, '0', '-1');
    expect(line.map((member) => member.split(':')[1])).not.toContain(deep.data.id);

    const next = fixture('user-text');
    expect((await app.post(next)).json()).toEqual({ status: 'accepted', id: next.data.id });
  });

  describe('over real HTTP', () => {
    let url: string;
    beforeAll(async () => {
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}/webhooks/cometchat`;
    });

    const big = () => JSON.stringify({ ...fixture('user-text'), padding: 'x'.repeat(3 * 1024 * 1024) });

    it("answers a 3 MB body with a 413 that Node's fetch can read (no broken pipe)", async () => {
      const res = await fetch(url, { method: 'POST', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, body: big() });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    });

    it('answers 413 before the body is sent to a client that asks first (Expect: 100-continue)', async () => {
      const body = big();
      const { status, continued } = await new Promise<{ status?: number; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const req = request(url, {
          method: 'POST',
          headers: {
            authorization: basicAuth(),
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            expect: '100-continue',
          },
        });
        req.on('continue', () => {
          continued = true;
          req.end(body);
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, continued }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      expect(status).toBe(413);
      expect(continued).toBe(false);
    });
  });

  it('serves no webhook in APP_ROLE=worker, and the worker keeps its health endpoints', async () => {
    const worker = await TestApp.start('webhook-worker', { APP_ROLE: 'worker' });
    try {
      expect((await worker.post(fixture('user-text'))).statusCode).toBe(404);
      expect((await worker.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await worker.close();
    }
  });
});
