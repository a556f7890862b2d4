import { Logger, Module } from '@nestjs/common';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { CometChatClient } from '../src/cometchat/cometchat-client.service';
import { REPLY_SENDER } from '../src/cometchat/reply-sender';
import { ConfigValidationError } from '../src/config/env.validation';
import { BotReply, Responder } from '../src/responders';
import { LIVE_SANDBOX_PAGE_WARNING } from '../src/sandbox/sandbox-mode';
import { SandboxOutbox } from '../src/sandbox/sandbox-outbox.service';
import { SandboxReplySender } from '../src/sandbox/sandbox-reply-sender.service';
import { FakeCometChat } from './support/fake-cometchat';
import { FakeModelServer } from './support/fake-openai';
import { fixture } from './support/fixtures';
import { basicAuth, BOT_UID, TestApp, WEBHOOK_PASSWORD } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Replies of every kind, so the outbox can be seen to keep each one whole (thread parentId included). */
@Responder({ name: 'rich-replies', priority: 10 })
class RichRepliesResponder {
  match(event: { text?: string }) {
    return event.text === 'rich please';
  }
  respond(): BotReply[] {
    const threaded = { category: 'custom', type: 'location', data: { customData: { lat: 52.52 }, metadata: { k: 1 } }, parentId: '42' };
    const form = {
      category: 'interactive',
      type: 'form',
      data: { interactiveData: { title: 'Order', formFields: [{ elementType: 'textInput', elementId: 'n', label: 'Number' }] } },
    };
    return [threaded as BotReply, form as BotReply];
  }
}

@Module({ providers: [RichRepliesResponder] })
class RichRepliesModule {}

/** Without credentials, these variables make a sandbox app (the test env sets the rest, API key included). */
const SANDBOX = { COMETCHAT_API_KEY: '' };

interface EventStream {
  response: IncomingMessage;
  text: () => string;
  close: () => void;
}

/** Opens the server-sent events stream of a listening app and collects what it sends. */
function openEventStream(url: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    let text = '';
    const request = httpRequest(`${url}/sandbox/events`, { headers: { accept: 'text/event-stream' } }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', () => undefined);
      resolve({ response, text: () => text, close: () => request.destroy() });
    });
    request.on('error', reject);
    request.end();
  });
}

/** The `data` of each event of one kind in a stream's text. */
const eventsOf = (text: string, kind: string): any[] =>
  text
    .split('\n\n')
    .filter((block) => block.startsWith(`event: ${kind}\n`))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)));

describe('sandbox mode', () => {
  let cometchat: FakeCometChat;
  const apps: TestApp[] = [];

  const start = async (overrides: Record<string, string>, imports: any[] = []) => {
    const app = await TestApp.start('sandbox', { COMETCHAT_API_URL: cometchat.url, ...overrides }, imports);
    apps.push(app);
    return app;
  };
  const say = (app: TestApp, payload: Record<string, unknown>) => app.app.inject({ method: 'POST', url: '/sandbox/messages', payload });
  const replyState = async (app: TestApp, messageId: string, index = 0) =>
    (await app.queue('replies').getJob(`reply-${messageId}-${index}`))?.getState();
  const outbox = async (app: TestApp) => (await app.redis().lrange(`${app.prefix}:sandbox:outbox`, 0, -1)).map((json) => JSON.parse(json));

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    for (const app of apps.splice(0)) await app.close();
  });
  afterAll(() => cometchat.stop());

  describe('is chosen', () => {
    const banners = (warn: jest.SpyInstance) => warn.mock.calls.filter(([message]) => String(message).includes('SANDBOX MODE'));

    it('when there is no API key, saying so once at boot', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const app = await start(SANDBOX);
      expect(app.app.get(REPLY_SENDER)).toBeInstanceOf(SandboxReplySender);
      expect(banners(warn)).toHaveLength(1);
      expect(banners(warn)[0][0]).toContain('replies are NOT sent to CometChat');
      expect(banners(warn)[0][0]).toContain(`${app.prefix}:sandbox:outbox`);
    });

    it('never when an API key is set and COMETCHAT_MODE is not: the bot is live', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const app = await start({});
      expect(app.app.get(REPLY_SENDER)).toBeInstanceOf(CometChatClient);
      expect(banners(warn)).toHaveLength(0);

      const callback = fixture('user-text');
      await app.post(callback);
      await waitFor('the reply to reach CometChat', () => cometchat.calls.some((c) => c.body.muid === `reply-${callback.data.id}-0`));
    });

    it('not at all when COMETCHAT_MODE=live and the API key is missing: a configuration error names it', async () => {
      const failure = await start({ ...SANDBOX, COMETCHAT_MODE: 'live' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConfigValidationError);
      expect((failure as ConfigValidationError).problems).toEqual(['COMETCHAT_API_KEY is required']);
    });
  });

  it('delivers replies to a bounded outbox in Redis, through the usual queues, and never calls CometChat', async () => {
    const app = await start({ ...SANDBOX, SANDBOX_OUTBOX_SIZE: '3' });
    const callsBefore = cometchat.calls.length;
    const callbacks = Array.from({ length: 5 }, () => fixture('user-text'));
    for (const callback of callbacks) expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
    for (const callback of callbacks) {
      await waitFor(`reply to ${callback.data.id}`, async () => (await replyState(app, callback.data.id)) === 'completed');
    }

    // The reply jobs completed as in production: each recorded the id the (sandbox) send returned.
    const sentIds = await Promise.all(
      callbacks.map(async (c) => (await app.queue('replies').getJob(`reply-${c.data.id}-0`))!.returnvalue.messageId as string),
    );
    const stored = await outbox(app);
    expect(stored).toHaveLength(3);
    // Newest first; the two oldest were trimmed.
    const newestThree = [...sentIds].sort((a, b) => Number(b) - Number(a)).slice(0, 3);
    expect(stored.map((r) => r.id)).toEqual(newestThree);
    const last = callbacks.find((c) => `reply-${c.data.id}-0` === stored[0].muid)!;
    expect(stored[0]).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      sender: BOT_UID,
      receiver: 'cometchat-uid-1',
      receiverType: 'user',
      conversationId: `cometchat-uid-1_user_${BOT_UID}`,
      category: 'message',
      type: 'text',
      data: { text: 'Where is my order #5521?' },
      muid: `reply-${last.data.id}-0`,
      sentAt: expect.any(Number),
    });
    expect(cometchat.calls.length).toBe(callsBefore);
  });

  it('keeps each reply whole: custom data, metadata, thread parentId, interactive forms', async () => {
    const app = await start(SANDBOX, [RichRepliesModule]);
    const callback = fixture('group-mention');
    callback.data.data.text = `<@uid:${BOT_UID}> rich please`;
    await app.post(callback);
    await waitFor('both replies', async () => (await replyState(app, callback.data.id, 1)) === 'completed');

    const [form, custom] = await outbox(app);
    expect(custom).toMatchObject({
      receiver: 'ops-room',
      receiverType: 'group',
      conversationId: 'group_ops-room',
      category: 'custom',
      type: 'location',
      data: { customData: { lat: 52.52 }, metadata: { k: 1 } },
      parentId: '42',
      muid: `reply-${callback.data.id}-0`,
    });
    expect(form).toMatchObject({ category: 'interactive', type: 'form', data: { interactiveData: { title: 'Order' } } });
  });

  describe('chat page', () => {
    it('is not served in live mode unless SANDBOX_UI=true', async () => {
      const live = await start({});
      expect((await live.app.inject({ method: 'GET', url: '/sandbox' })).statusCode).toBe(404);
      expect((await say(live, { sender: { uid: 'a' }, conversation: { type: 'user' }, text: 'hi' })).statusCode).toBe(404);

      const warn = jest.spyOn(Logger.prototype, 'warn');
      const withUi = await start({ SANDBOX_UI: 'true' });
      // A page that posts to the webhook with its credentials is a way in on a live bot: said at boot.
      expect(warn.mock.calls.filter(([message]) => message === LIVE_SANDBOX_PAGE_WARNING)).toHaveLength(1);
      const page = await withUi.app.inject({ method: 'GET', url: '/sandbox' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('/sandbox/sandbox.js');
      expect((await withUi.app.inject({ method: 'GET', url: '/sandbox/session' })).json()).toMatchObject({ mode: 'live', botUid: BOT_UID });
    });

    it('is served in sandbox mode, with its script and styles', async () => {
      const app = await start(SANDBOX);
      for (const [url, type] of [
        ['/sandbox', /^text\/html/],
        ['/sandbox/sandbox.js', /^text\/javascript/],
        ['/sandbox/sandbox.css', /^text\/css/],
      ] as const) {
        const response = await app.app.inject({ method: 'GET', url });
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toMatch(type);
        expect(response.body.length).toBeGreaterThan(500);
      }
    });

    it('posts each message to the real webhook as a CometChat callback and shows its answer', async () => {
      const app = await start(SANDBOX);
      const first = await say(app, { sender: { uid: 'Alice', name: 'Alice A.' }, conversation: { type: 'user' }, text: 'hello' });
      expect(first.statusCode).toBe(200);
      const { id, callback, webhook } = first.json();
      expect(webhook).toEqual({ statusCode: 200, body: { status: 'accepted', id } });
      expect(callback).toMatchObject({
        trigger: 'after_message',
        bot: BOT_UID,
        data: {
          id: expect.stringMatching(/^\d+$/),
          sender: 'alice',
          receiver: BOT_UID,
          receiverType: 'user',
          category: 'message',
          type: 'text',
          conversationId: `alice_user_${BOT_UID}`,
          sentAt: expect.any(Number),
          data: { text: 'hello', entities: { sender: { entity: { uid: 'alice', name: 'Alice A.' }, entityType: 'user' } } },
        },
      });
      // The webhook stored it in the events queue, as it would a callback from CometChat.
      expect((await app.jobs('events')).map((job) => job.data.data.id)).toContain(id);
      await waitFor('the echo in the outbox', async () => (await outbox(app)).some((r) => r.receiver === 'alice' && r.data.text === 'hello'));

      // Ids increase, as CometChat's do.
      const second = (await say(app, { sender: { uid: 'alice' }, conversation: { type: 'user' }, text: 'again' })).json();
      expect(Number(second.id)).toBeGreaterThan(Number(id));

      const resent = (await say(app, { sender: { uid: 'alice' }, conversation: { type: 'user' }, text: 'hello', id })).json();
      expect(resent.webhook).toEqual({ statusCode: 200, body: { status: 'duplicate', id } });

      const own = (await say(app, { sender: { uid: BOT_UID }, conversation: { type: 'user' }, text: 'me?' })).json();
      expect(own.webhook.body).toMatchObject({ status: 'ignored', reason: 'own-message' });
    });

    it('mentions the bot in a group with data.mentions, as CometChat does', async () => {
      const app = await start(SANDBOX);
      const { callback, webhook } = (
        await say(app, { sender: { uid: 'bob' }, conversation: { type: 'group', id: 'ops-room' }, text: `<@uid:${BOT_UID}> status?` })
      ).json();
      expect(webhook.body.status).toBe('accepted');
      expect(callback.data).toMatchObject({
        receiver: 'ops-room',
        receiverType: 'group',
        conversationId: 'group_ops-room',
        data: {
          mentions: { [BOT_UID]: { uid: BOT_UID } },
          entities: { receiver: { entity: { guid: 'ops-room' }, entityType: 'group' } },
        },
      });
      await waitFor('the group echo', async () => (await outbox(app)).some((r) => r.receiver === 'ops-room' && r.data.text === 'status?'));
    });

    it('refuses a malformed message with 400 naming the field', async () => {
      const app = await start(SANDBOX);
      const response = await say(app, { sender: { uid: 'no spaces' }, conversation: { type: 'group' }, text: '' });
      expect(response.statusCode).toBe(400);
      const message = JSON.stringify(response.json().message);
      for (const field of ['sender.uid', 'conversation.id', 'text']) expect(message).toContain(field);
    });

    it('never hands the webhook credentials (or the API key) to the browser', async () => {
      const app = await start({ SANDBOX_UI: 'true' }); // live, so a real API key is configured too
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      const stream = await openEventStream(await app.app.getUrl());
      const bodies: string[] = [];
      for (const url of ['/sandbox', '/sandbox/sandbox.js', '/sandbox/sandbox.css', '/sandbox/session', '/sandbox/outbox']) {
        bodies.push((await app.app.inject({ method: 'GET', url })).body);
      }
      const sent = await say(app, { sender: { uid: 'carol' }, conversation: { type: 'user' }, text: 'secret?' });
      bodies.push(sent.body, JSON.stringify(sent.headers));
      await waitFor('the page log entry on the stream', () => stream.text().includes('"text":"secret?"'));
      bodies.push(stream.text());
      stream.close();

      for (const body of bodies) {
        expect(body).not.toContain(WEBHOOK_PASSWORD);
        expect(body).not.toContain(basicAuth().slice('Basic '.length));
        expect(body).not.toContain(app.env.COMETCHAT_API_KEY);
      }
    });
  });

  it('sends the edits of a streamed answer to the page as `edit` events, and keeps the reply as edited in the outbox', async () => {
    // A model that writes twelve sentences, half a second apart: posted at PROGRESS_AFTER_MS, then filled in by edits.
    const sentences = Array.from({ length: 12 }, (_, n) => `Sentence ${n + 1} of the slow answer.`);
    const whole = sentences.join(' ');
    const model = await new FakeModelServer().start();
    try {
      model.answer = () => ({ text: whole, pieces: sentences.map((s, n) => (n === 0 ? s : ` ${s}`)), pieceDelayMs: 500 });
      const app = await start({ ...SANDBOX, LLM_MODEL: 'fake-model', LLM_BASE_URL: model.url, LLM_API_KEY: 'model-key' });
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      const stream = await openEventStream(await app.app.getUrl());

      await say(app, { sender: { uid: 'erin' }, conversation: { type: 'user' }, text: 'tell me everything' });
      const [posted] = await waitFor('the early post on the stream', () => {
        const replies = eventsOf(stream.text(), 'reply').filter((r) => r.receiver === 'erin');
        return replies.length > 0 && replies;
      });
      expect(whole.startsWith(posted.data.text)).toBe(true);
      expect(posted.data.text.length).toBeLessThan(whole.length);
      expect(posted.editedAt).toBeUndefined();

      const editsOf = () => eventsOf(stream.text(), 'edit').filter((e) => e.receiver === 'erin');
      await waitFor('the last edit, with the whole answer', () => editsOf().at(-1)?.data.text === whole, { timeoutMs: 20_000 });
      await app.drained();
      // Each edit is the whole reply as edited, under the id of the reply the page shows; each a longer part of the answer.
      const edits = editsOf();
      expect(edits.length).toBeGreaterThanOrEqual(2);
      const texts = [posted.data.text, ...edits.map((e) => e.data.text)];
      for (const [n, edit] of edits.entries()) {
        expect(edit).toMatchObject({ id: posted.id, sender: BOT_UID, receiverType: 'user', muid: posted.muid, editedAt: expect.any(Number) });
        expect(whole.startsWith(edit.data.text)).toBe(true);
        expect(texts[n + 1].length).toBeGreaterThan(texts[n].length);
      }
      // One reply, edited: never a second one.
      expect(eventsOf(stream.text(), 'reply').filter((r) => r.receiver === 'erin')).toHaveLength(1);
      stream.close();

      // The outbox holds the reply as edited, where it was.
      const stored = (await app.app.inject({ method: 'GET', url: '/sandbox/outbox' })).json().filter((r: any) => r.receiver === 'erin');
      expect(stored).toEqual([{ ...posted, data: { ...posted.data, text: whole }, editedAt: expect.any(Number) }]);

      // A page opened (or reloaded) later gets the whole answer in the backlog: the reply, as edited, and no edit.
      const late = await openEventStream(await app.app.getUrl());
      const [again] = await waitFor('the backlog', () => {
        const replies = eventsOf(late.text(), 'reply').filter((r) => r.receiver === 'erin');
        return replies.length > 0 && replies;
      });
      expect(again).toEqual(stored[0]);
      expect(eventsOf(late.text(), 'edit')).toEqual([]);
      late.close();
    } finally {
      await model.stop();
    }
  }, 40_000);

  it('streams replies made by a worker in another process to the page, live, and cleans up when it goes', async () => {
    // The page's process takes HTTP only; the reply is made and stored by a separate worker on the same Redis.
    const api = await start({ ...SANDBOX, APP_ROLE: 'api' });
    await start({ ...SANDBOX, APP_ROLE: 'worker', QUEUE_PREFIX: api.prefix });
    await api.app.listen({ port: 0, host: '127.0.0.1' });

    const stream = await openEventStream(await api.app.getUrl());
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toMatch(/^text\/event-stream/);

    const { id } = (await say(api, { sender: { uid: 'dave', name: 'Dave' }, conversation: { type: 'user' }, text: 'live?' })).json();
    const [reply] = await waitFor(
      'the reply on the stream',
      () =>
        eventsOf(stream.text(), 'reply').filter((r) => r.eventId === id).length > 0 &&
        eventsOf(stream.text(), 'reply').filter((r) => r.eventId === id),
    );
    expect(reply).toMatchObject({ receiver: 'dave', receiverType: 'user', data: { text: 'live?' }, muid: `reply-${id}-0` });
    expect(eventsOf(stream.text(), 'sent').find((m) => m.id === id)).toMatchObject({
      sender: { uid: 'dave', name: 'Dave' },
      webhook: { statusCode: 200, body: { status: 'accepted' } },
    });

    // A page opened later gets what happened before it, from the outbox.
    const late = await openEventStream(await api.app.getUrl());
    await waitFor('the backlog', () => eventsOf(late.text(), 'reply').some((r) => r.eventId === id));
    late.close();

    const listeners = () => api.app.get<SandboxOutbox, { listeners: Set<unknown> }>(SandboxOutbox).listeners.size;
    expect(listeners()).toBeGreaterThan(0);
    stream.close();
    await waitFor('the streams to be released', () => listeners() === 0);
  });
});
