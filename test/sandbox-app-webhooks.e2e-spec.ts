import { SandboxOutbox, SandboxReply, SandboxSentMessage } from '../src/sandbox/sandbox-outbox.service';
import { BOT_UID, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** The app webhooks' own credentials, set apart from the callback's: the sandbox must post with these. */
const EVENTS_AUTH = { EVENTS_WEBHOOK_USERNAME: 'cometchat-events', EVENTS_WEBHOOK_PASSWORD: 'e2e-events-secret-password' };
const ALICE = { uid: 'alice', name: 'Alice' };

/**
 * The chat page's edits, deletes and reactions, through the sandbox's API: each becomes the app webhook event
 * CometChat would send (cometchat-api.md §7), posted to the real events route of the real app (sandbox mode), which
 * accepts it; the page log and the feed show the message as it now stands.
 */
describe('sandbox: edits, deletes and reactions as app webhook events', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start('sandbox-app-webhooks', { COMETCHAT_API_KEY: '', ...EVENTS_AUTH });
  });
  afterAll(() => app?.close());

  const say = async (text: string) =>
    (await app.app.inject({ method: 'POST', url: '/sandbox/messages', payload: { sender: ALICE, conversation: { type: 'user' }, text } })).json<{
      id: string;
    }>();
  const edit = (id: string, text: string) => app.app.inject({ method: 'PATCH', url: `/sandbox/messages/${id}`, payload: { text } });
  const remove = (id: string) => app.app.inject({ method: 'DELETE', url: `/sandbox/messages/${id}` });
  const react = (id: string, reaction: string) =>
    app.app.inject({ method: 'POST', url: `/sandbox/replies/${id}/reactions`, payload: { reaction, sender: ALICE } });
  const outbox = () => app.app.get(SandboxOutbox).replies();
  const answerTo = async (text: string) =>
    waitFor(`the answer "${text}"`, async () => (await outbox()).find((reply) => reply.data.text === text && !reply.deletedAt));
  const logged = async (id: string): Promise<SandboxSentMessage[]> =>
    (await app.redis().lrange(`${app.prefix}:sandbox:sent`, 0, -1)).map((json) => JSON.parse(json) as SandboxSentMessage).filter((m) => m.id === id);
  const accepted = { statusCode: 200, body: expect.objectContaining({ status: 'accepted' }) };
  const envelope = { appId: 'e2e-app', region: 'us', webhook: expect.any(String) };

  it('edits a message: message_edited, accepted by the events route; the page log holds the new text; the bot answers again', async () => {
    const { id } = await say('hello there');
    await answerTo('hello there');

    const response = await edit(id, 'hello again');
    expect(response.statusCode).toBe(200);
    const { event, webhook, message } = response.json();
    expect(event).toEqual({
      trigger: 'message_edited',
      ...envelope,
      data: {
        message: expect.objectContaining({
          id,
          sender: 'alice',
          receiver: BOT_UID,
          receiverType: 'user',
          category: 'message',
          type: 'text',
          conversationId: `alice_user_${BOT_UID}`,
          data: expect.objectContaining({ text: 'hello again' }),
          sentAt: expect.any(Number),
          editedAt: expect.any(Number),
        }),
      },
    });
    expect(webhook).toEqual(accepted);
    expect(message).toMatchObject({ id, text: 'hello again', editedAt: event.data.message.editedAt, change: { trigger: 'message_edited', webhook } });
    expect(await logged(id)).toEqual([message]);

    // The edited question is answered again: a new reply, the first one left as it was.
    await answerTo('hello again');
    expect((await outbox()).filter((reply) => reply.data.text === 'hello there')).toHaveLength(1);
  });

  it('toggles a reaction on a reply: message_reaction_added, then _removed with the same reaction id, both accepted', async () => {
    await say('rate me');
    const reply = await answerTo('rate me');

    const added = await react(reply.id, '👍');
    expect(added.statusCode).toBe(200);
    const first = added.json();
    expect(first.event).toEqual({
      trigger: 'message_reaction_added',
      ...envelope,
      data: {
        reaction: {
          id: expect.stringMatching(/^\d+$/),
          messageId: reply.id,
          reaction: '👍',
          uid: 'alice',
          reactedAt: expect.any(Number),
          reactedBy: { uid: 'alice', name: 'Alice' },
        },
        message: expect.objectContaining({ id: reply.id, sender: BOT_UID, receiver: 'alice', receiverType: 'user', data: { text: 'rate me' } }),
      },
    });
    expect(first.webhook).toEqual(accepted);
    expect(first.reaction).toEqual({ added: true, reaction: expect.objectContaining({ reaction: '👍', uid: 'alice' }) });
    const reactionsFeed = async () =>
      (await app.app.get(SandboxOutbox).feed()).filter((entry) => entry.kind === 'reactions' && entry.seq === reply.id);
    expect(await reactionsFeed()).toEqual([{ kind: 'reactions', seq: reply.id, item: { id: reply.id, reactions: [first.reaction.reaction] } }]);

    const removed = (await react(reply.id, '👍')).json();
    expect(removed.event.trigger).toBe('message_reaction_removed');
    expect(removed.event.data.reaction).toEqual(first.event.data.reaction);
    expect(removed.webhook).toEqual(accepted);
    expect(removed.reaction.added).toBe(false);
    expect(await reactionsFeed()).toEqual([]);
  });

  it('deletes a message: message_deleted, accepted; the page log shows it deleted and the bot deletes its answer', async () => {
    const { id } = await say('forget this');
    const answer = await answerTo('forget this');

    const response = await remove(id);
    expect(response.statusCode).toBe(200);
    const { event, webhook, message } = response.json();
    expect(event).toEqual({
      trigger: 'message_deleted',
      ...envelope,
      data: { message: expect.objectContaining({ id, sender: 'alice', receiver: BOT_UID, deletedAt: expect.any(Number), data: expect.any(Object) }) },
    });
    expect(webhook).toEqual(accepted);
    expect(message).toMatchObject({ id, deletedAt: event.data.message.deletedAt, change: { trigger: 'message_deleted', webhook } });
    expect(await logged(id)).toEqual([message]);

    await waitFor('the answer marked deleted', async () => (await outbox()).find((reply: SandboxReply) => reply.id === answer.id)?.deletedAt);

    // A deleted message is neither edited nor deleted again.
    expect((await edit(id, 'too late')).statusCode).toBe(409);
    expect((await remove(id)).statusCode).toBe(409);
  });

  it('refuses what names no message: 404 for ids it does not hold, 400 for a malformed id or body', async () => {
    expect((await edit('123456', 'x')).statusCode).toBe(404);
    expect((await remove('123456')).statusCode).toBe(404);
    expect((await react('123456', '👍')).statusCode).toBe(404);
    expect((await edit('not-an-id', 'x')).statusCode).toBe(400);
    const { id } = await say('still here');
    const empty = await edit(id, '   ');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message.join(' ')).toContain('text');
    const nobody = await app.app.inject({ method: 'POST', url: `/sandbox/replies/${id}/reactions`, payload: { reaction: '👍' } });
    expect(nobody.statusCode).toBe(400);
  });

  it('says whether a conversation is with people: after /human until /bot', async () => {
    const state = async () => (await app.app.inject({ method: 'GET', url: `/sandbox/state?bot=support-bot&type=user&id=${ALICE.uid}` })).json();
    expect(await state()).toEqual({ handedOff: false });
    await say('/human');
    await waitFor('the conversation handed off', async () => (await state()).handedOff === true);
    await say('/bot');
    await waitFor('the bot back', async () => (await state()).handedOff === false);
    expect((await app.app.inject({ method: 'GET', url: '/sandbox/state?type=chat&id=x' })).statusCode).toBe(400);
  });
});
