import { Module } from '@nestjs/common';
import type { BotEvent, BotResponder, ResponderContext } from '../src/responders';
import { Responder, textReply } from '../src/responders';
import { FakeCometChat } from './support/fake-cometchat';
import { directText, messageDeleted, messageEdited, reaction } from './support/fixtures';
import { basicAuth, BOT_UID, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** What the responder saw, in order: each event's kind, message id and text (and `before`, `reaction`). */
const seen: Array<Pick<BotEvent, 'kind' | 'id' | 'text' | 'before' | 'reaction'> & { started: number; ended?: number }> = [];

/** Answers messages and edits (`answer to: <text>`, slowly for a text starting "slow"); sees deletes and reactions too. */
@Responder({ name: 'watcher', on: ['message', 'edited', 'deleted', 'reaction-added', 'reaction-removed'] })
class WatcherResponder implements BotResponder {
  async respond({ event }: ResponderContext) {
    const entry: (typeof seen)[number] = {
      kind: event.kind,
      id: event.id,
      text: event.text,
      before: event.before,
      reaction: event.reaction,
      started: Date.now(),
    };
    seen.push(entry);
    if (event.text?.startsWith('slow')) await new Promise((resolve) => setTimeout(resolve, 1500));
    entry.ended = Date.now();
    return event.kind === 'message' || event.kind === 'edited' ? textReply(`answer to: ${event.text}`) : undefined;
  }
}

@Module({ providers: [WatcherResponder] })
class WatcherModule {}

const EVENTS_USER = 'cometchat-events';
const EVENTS_PASSWORD = 'events-secret-password';
const eventsAuth = basicAuth(EVENTS_USER, EVENTS_PASSWORD);
const FEEDBACK = 'cometchat_bot_feedback_total';

/**
 * CometChat's app webhooks at POST /webhooks/cometchat/events: the route's answers, and what edits, deletes and
 * reactions do (the real app, real Redis, a fake CometChat recording POST/PUT/DELETE).
 */
describe('app webhooks: edits, deletes and reactions', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start(
      'app-events',
      { COMETCHAT_API_URL: cometchat.url, EVENTS_WEBHOOK_USERNAME: EVENTS_USER, EVENTS_WEBHOOK_PASSWORD: EVENTS_PASSWORD },
      [WatcherModule],
    );
  });
  afterAll(async () => {
    await app?.close();
    await cometchat.stop();
  });

  /** A message from `sender`, answered: its callback, and the bot's answer as CometChat stored it. */
  async function answered(text: string, sender: string) {
    const callback = directText(text, sender);
    expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
    const answer = await waitFor(`the answer to "${text}"`, () =>
      cometchat.messages.find((m) => m.receiver === sender && m.data?.text === `answer to: ${text}`),
    );
    await app.drained();
    return { callback, answer };
  }

  it('answers as the callback route does: Basic Auth of its own, 400 naming the field, ignored triggers, 405', async () => {
    const edit = messageEdited(directText('hi', 'route-ana'), 'hello');
    expect((await app.postEvent(edit, { authorization: null })).statusCode).toBe(401);
    // The callback's credentials are not the events route's when EVENTS_WEBHOOK_* are set apart.
    const wrong = await app.postEvent(edit, { authorization: basicAuth() });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);

    const noId = messageEdited(directText('hi', 'route-ana'), 'hello');
    delete noId.data.message.id;
    const refused = await app.postEvent(noId, { authorization: eventsAuth });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toContain('data.message.id');
    const noReaction = await app.postEvent(
      { trigger: 'message_reaction_added', data: { reaction: { messageId: '1' } }, appId: 'e2e-app' },
      { authorization: eventsAuth },
    );
    expect(noReaction.statusCode).toBe(400);
    expect(noReaction.json().message).toContain('data.reaction.reaction');
    expect((await app.postEvent({ data: {} }, { authorization: eventsAuth })).json().message).toContain('trigger');
    const otherApp = await app.postEvent({ ...edit, appId: 'another-app' }, { authorization: eventsAuth });
    expect(otherApp.statusCode).toBe(404);

    const receipt = await app.postEvent({ trigger: 'message_read_receipt', data: {}, appId: 'e2e-app' }, { authorization: eventsAuth });
    expect(receipt.statusCode).toBe(200);
    expect(receipt.json()).toEqual({ status: 'ignored', reason: 'unsupported-trigger' });
    const get = await app.app.inject({ method: 'GET', url: '/webhooks/cometchat/events' });
    expect(get.statusCode).toBe(405);
  });

  it('answers an edited question again, once however often CometChat delivers the edit; the responder sees kind and before', async () => {
    const { callback } = await answered('what are your hours', 'edit-ana');
    const edit = messageEdited(callback, 'what are your hours on sunday');
    const started = Date.now();
    const first = await app.postEvent(edit, { authorization: eventsAuth });
    expect(Date.now() - started).toBeLessThan(2000); // CometChat's budget
    expect(first.json()).toEqual({ status: 'accepted', id: callback.data.id });
    // CometChat's retries (+10 s, +30 s) of the same event.
    expect((await app.postEvent(edit, { authorization: eventsAuth })).json()).toEqual({ status: 'duplicate', id: callback.data.id });

    await waitFor('the new answer', () => cometchat.messages.some((m) => m.data?.text === 'answer to: what are your hours on sunday'));
    await app.drained();
    expect(cometchat.posts.filter((c) => c.body.receiver === 'edit-ana')).toHaveLength(2);
    expect(seen.filter((e) => e.id === callback.data.id).map((e) => [e.kind, e.text, e.before?.text])).toEqual([
      ['message', 'what are your hours', undefined],
      ['edited', 'what are your hours on sunday', 'what are your hours'],
    ]);
  });

  it("ignores the bot's own edits (its streamed answers) and edits of messages it never took; an edit of a message sent moments ago and not stored yet is asked again later (503)", async () => {
    const { answer } = await answered('hello there', 'own-ana');
    const ownEdit = messageEdited({ data: { ...answer, category: 'message', type: 'text' } }, 'answer to: hello there, edited');
    expect((await app.postEvent(ownEdit, { authorization: eventsAuth })).json()).toMatchObject({ status: 'ignored', reason: 'own-change' });

    const old = directText('from long ago', 'own-ana', { sentAt: Math.floor(Date.now() / 1000) - 3600 });
    expect((await app.postEvent(messageEdited(old, 'changed'), { authorization: eventsAuth })).json()).toMatchObject({
      status: 'ignored',
      reason: 'unknown-message',
    });

    const early = directText('just sent', 'own-ana', { sentAt: Math.floor(Date.now() / 1000) });
    const notYet = await app.postEvent(messageEdited(early, 'just sent, edited'), { authorization: eventsAuth });
    expect(notYet.statusCode).toBe(503);
    expect(notYet.headers['retry-after']).toBeDefined();
    // Once the message is there, the redelivered edit is taken, after it.
    expect((await app.post(early)).json()).toMatchObject({ status: 'accepted' });
    expect((await app.postEvent(messageEdited(early, 'just sent, edited'), { authorization: eventsAuth })).json()).toMatchObject({
      status: 'accepted',
    });
    await waitFor('the edit answered', () => cometchat.messages.some((m) => m.data?.text === 'answer to: just sent, edited'));
  });

  it('handles an edit after the turn of the message it edits, even while that turn still runs', async () => {
    const callback = directText('slow question', 'order-ana');
    expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
    await waitFor('the slow turn running', () => seen.some((e) => e.id === callback.data.id && e.kind === 'message'));
    expect((await app.postEvent(messageEdited(callback, 'slow question, edited'), { authorization: eventsAuth })).json()).toMatchObject({
      status: 'accepted',
    });
    await waitFor('both answered', () => cometchat.messages.filter((m) => m.receiver === 'order-ana').length === 2, { timeoutMs: 15_000 });
    const [message, edited] = seen.filter((e) => e.id === callback.data.id);
    expect([message.kind, edited.kind]).toEqual(['message', 'edited']);
    expect(edited.started).toBeGreaterThanOrEqual(message.ended!);
    // And the answers went out in that order.
    expect(cometchat.messages.filter((m) => m.receiver === 'order-ana').map((m) => m.data?.text)).toEqual([
      'answer to: slow question',
      'answer to: slow question, edited',
    ]);
  });

  it("deletes the bot's answer to a deleted message (DELETE /messages/{id} on behalf of the bot), once", async () => {
    const { callback, answer } = await answered('delete me later', 'delete-ana');
    const deleted = messageDeleted(callback);
    expect((await app.postEvent(deleted, { authorization: eventsAuth })).json()).toEqual({ status: 'accepted', id: callback.data.id });
    expect((await app.postEvent(deleted, { authorization: eventsAuth })).json()).toEqual({ status: 'duplicate', id: callback.data.id });
    await waitFor('the answer deleted', () => cometchat.message(answer.id)?.deletedAt !== undefined);
    await app.drained();
    const deletes = cometchat.deletes.filter((c) => c.path === `/v3/messages/${answer.id}`);
    expect(deletes).toHaveLength(1);
    expect(deletes[0].headers.onbehalfof).toBe(BOT_UID);
    expect(seen.some((e) => e.id === callback.data.id && e.kind === 'deleted')).toBe(true);
    // Nothing said for a delete.
    expect(cometchat.posts.filter((c) => c.body.receiver === 'delete-ana')).toHaveLength(1);
  });

  it('counts 👍 and 👎 on an answer by responder, once per event, and takes a removed one back', async () => {
    const { answer } = await answered('rate me', 'react-ana');
    const before = await app.scrape();
    const labels = (reaction: string) => ({ bot: BOT_UID, responder: 'watcher', reaction });
    const up = before.count(FEEDBACK, labels('up'));
    const down = before.count(FEEDBACK, labels('down'));

    const thumbsUp = reaction(true, answer.id, '👍', 'react-ana', { ...answer, category: 'message', type: 'text' });
    expect((await app.postEvent(thumbsUp, { authorization: eventsAuth })).json()).toEqual({ status: 'accepted', id: answer.id });
    expect((await app.postEvent(thumbsUp, { authorization: eventsAuth })).json()).toEqual({ status: 'duplicate', id: answer.id });
    await waitFor('👍 counted', async () => (await app.scrape()).count(FEEDBACK, labels('up')) === up + 1);

    // A reaction that comes without its message (as some of CometChat's pages show it) is found by the answer it is on.
    const thumbsDown = reaction(true, answer.id, '👎🏽', 'react-bob');
    expect((await app.postEvent(thumbsDown, { authorization: eventsAuth })).json()).toEqual({ status: 'accepted', id: answer.id });
    await waitFor('👎 counted', async () => (await app.scrape()).count(FEEDBACK, labels('down')) === down + 1);

    const removed = reaction(false, answer.id, '👍', 'react-ana', undefined, thumbsUp.data.reaction.reactedAt);
    expect((await app.postEvent(removed, { authorization: eventsAuth })).json()).toEqual({ status: 'accepted', id: answer.id });
    await waitFor('👍 taken back', async () => (await app.scrape()).count(FEEDBACK, labels('up')) === up);
    await app.drained();
    expect((await app.scrape()).count(FEEDBACK, labels('down'))).toBe(down + 1);

    // The responder saw each reaction as on its answer; nothing was said.
    const reactions = seen.filter((e) => e.kind.startsWith('reaction') && e.id === answer.id);
    expect(reactions.map((e) => [e.kind, e.reaction?.emoji, e.reaction?.onAnswer?.responder])).toEqual([
      ['reaction-added', '👍', 'watcher'],
      ['reaction-added', '👎🏽', 'watcher'],
      ['reaction-removed', '👍', 'watcher'],
    ]);
    expect(cometchat.posts.filter((c) => c.body.receiver === 'react-ana')).toHaveLength(1);
    const events = await app.scrape();
    expect(events.count('cometchat_bot_app_events_total', { trigger: 'message_reaction_added', outcome: 'duplicate' })).toBeGreaterThanOrEqual(1);
  });
});
