import type { HttpAdapterHost } from '@nestjs/core';
import Fastify, { FastifyInstance } from 'fastify';
import type { PinoLogger } from 'nestjs-pino';
import { basicAuthHeader } from '../common/basic-auth';
import type { MetricsService } from '../metrics/metrics.service';
import { registerMetrics } from '../metrics/metric-definitions';
import { Registry } from 'prom-client';
import { MessageNotStoredError } from '../queue/events/events.producer';
import { servedBots, testBot } from '../config/testing/served-bots';
import { CallbackRoute, WEBHOOK_CHALLENGE, WEBHOOK_PATH } from './callback.route';
import type { InboxService } from './inbox.service';

const userText = () => JSON.parse(JSON.stringify(require('../../test/fixtures/user-text.json')));
const AUTHORIZATION = basicAuthHeader('cometchat', 's3cret');

/** The route on a bare Fastify, its inbox a fake that keeps what reached it. */
describe('CallbackRoute', () => {
  let fastify: FastifyInstance;
  const received: unknown[] = [];
  let inboxFails: Error | null = null;

  beforeAll(async () => {
    fastify = Fastify();
    const inbox = {
      receive: async (callback: { data: { id: string } }) => {
        if (inboxFails) throw inboxFails;
        received.push(callback);
        return { status: 'accepted', id: callback.data.id };
      },
    } as unknown as InboxService;
    const logger = { setContext: () => undefined, logger: { isLevelEnabled: () => false } } as unknown as PinoLogger;
    const route = new CallbackRoute(
      { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost,
      servedBots(testBot({ webhook: { username: 'cometchat', password: 's3cret' } })),
      inbox,
      { metrics: registerMetrics(new Registry()) } as MetricsService,
      logger,
    );
    route.onModuleInit();
    await fastify.ready();
  });
  afterAll(() => fastify.close());
  beforeEach(() => {
    received.length = 0;
    inboxFails = null;
  });

  const post = (body: unknown, authorization: string | null = AUTHORIZATION, url = WEBHOOK_PATH) =>
    fastify.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      payload: JSON.stringify(body),
    });

  it('hands the inbox the body exactly as it came: unknown fields kept, nulls and types untouched', async () => {
    const callback = userText();
    callback.extraEnvelopeField = 42;
    callback.data.somethingNew = { from: 'a later CometChat version', list: ['1', 2] };
    callback.data.parentId = null;
    callback.data.data.metadata.injected = { deep: { '@type': 'x' } };
    const res = await post(callback);
    expect(res.json()).toEqual({ status: 'accepted', id: callback.data.id });
    expect(received).toHaveLength(1);
    expect(received[0]).toStrictEqual(callback);
  });

  it("takes a callback at its bot's own path, in any case, and answers 404 naming no bot at another's", async () => {
    const callback = userText();
    expect((await post(callback, AUTHORIZATION, `${WEBHOOK_PATH}/support-bot`)).json()).toEqual({ status: 'accepted', id: callback.data.id });
    expect((await post(callback, AUTHORIZATION, `${WEBHOOK_PATH}/Support-Bot`)).statusCode).toBe(200);
    expect((await post(callback, null, `${WEBHOOK_PATH}/support-bot`)).statusCode).toBe(401);
    const elsewhere = await post(callback, AUTHORIZATION, `${WEBHOOK_PATH}/sales-bot`);
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'No bot is served at this path' });
    expect(elsewhere.body).not.toContain('support-bot');
    expect(received).toHaveLength(2);
    const get = await fastify.inject({ method: 'GET', url: `${WEBHOOK_PATH}/support-bot` });
    expect(get.statusCode).toBe(405);
  });

  it('refuses "id": 123 with a 400 naming it, rather than coercing it to "123", and stores nothing', async () => {
    const callback = userText();
    callback.data.id = 123;
    const res = await post(callback);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Invalid callback: data.id must be a string' });
    expect(received).toHaveLength(0);
  });

  it('names every bad field, missing or mistyped', async () => {
    const callback = userText();
    delete callback.data.sender;
    callback.data.receiverType = 'room';
    callback.trigger = ['after_message'];
    const { message } = (await post(callback)).json();
    for (const field of ['trigger', 'data.sender', 'data.receiverType']) expect(message).toContain(field);
  });

  it.each([
    ['an array', [userText()]],
    ['a number', 42],
    ['null', null],
  ])('refuses %s as not a JSON object', async (_, body) => {
    expect((await post(body)).json()).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Request body must be a JSON object' });
  });

  it('checks the credentials before the body: a 401 with a Basic challenge, whatever the body', async () => {
    for (const body of [userText(), { trigger: 5 }, null]) {
      const res = await post(body, basicAuthHeader('cometchat', 'wrong'));
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe(WEBHOOK_CHALLENGE);
    }
    expect((await post(userText(), null)).statusCode).toBe(401);
    expect(received).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the message cannot be stored', async () => {
    inboxFails = new MessageNotStoredError(new Error('Connection is closed.'));
    const res = await post(userText());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });
});
