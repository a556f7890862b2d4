import { buildDeletedEvent, buildEditedEvent, buildReactionEvent, SANDBOX_EVENTS_WEBHOOK_ID, SandboxReaction } from './sandbox-app-webhook.factory';
import { buildSandboxCallback } from './sandbox-callback.factory';
import type { SandboxReply, SandboxSentMessage } from './sandbox-outbox.service';

const BOT = { uid: 'support-bot', appId: 'sandbox-app', region: 'eu' };

const sent = (overrides: Partial<SandboxSentMessage> = {}): SandboxSentMessage => ({
  seq: '1717000001000',
  id: '1717000001000',
  sender: { uid: 'alice', name: 'Alice' },
  receiver: 'support-bot',
  receiverType: 'user',
  conversationId: 'alice_user_support-bot',
  text: 'where is my order?',
  sentAt: 1717000001,
  webhook: { statusCode: 200, body: { status: 'accepted', id: '1717000001000' } },
  ...overrides,
});

const reply: SandboxReply = {
  id: '1717000002000',
  sender: 'support-bot',
  receiver: 'alice',
  receiverType: 'user',
  conversationId: 'alice_user_support-bot',
  category: 'message',
  type: 'text',
  data: { text: 'On its way.' },
  muid: 'reply-1717000001000-0',
  sentAt: 1717000002,
};

const thumbsUp: SandboxReaction = {
  id: '1717000003000',
  messageId: reply.id,
  reaction: '👍',
  uid: 'alice',
  name: 'Alice',
  reactedAt: 1717000003,
};

/** The envelope of CometChat's app webhooks (cometchat-api.md §7). */
const ENVELOPE = { appId: 'sandbox-app', region: 'eu', webhook: SANDBOX_EVENTS_WEBHOOK_ID };

describe('buildEditedEvent', () => {
  const event = buildEditedEvent(sent(), 'where is my order <@uid:support-bot>?', 1717000009, BOT);

  it('is a message_edited envelope whose data.message is the message as a callback carries it, with the new text', () => {
    expect(event).toEqual({ trigger: 'message_edited', data: { message: expect.any(Object) }, ...ENVELOPE });
    const message = event.data.message as Record<string, any>;
    expect(message).toMatchObject({
      id: '1717000001000',
      sender: 'alice',
      receiver: 'support-bot',
      receiverType: 'user',
      category: 'message',
      type: 'text',
      conversationId: 'alice_user_support-bot',
      sentAt: 1717000001,
      editedAt: 1717000009,
      editedBy: 'alice',
      updatedAt: 1717000009,
    });
    expect(message.data.text).toBe('where is my order <@uid:support-bot>?');
    // Mentions are read from the new text, as CometChat does on an edit.
    expect(message.data.mentions).toEqual({ 'support-bot': { uid: 'support-bot', name: 'Bot' } });
    expect(message.data.entities.sender.entity).toMatchObject({ uid: 'alice', name: 'Alice' });
  });

  it('keeps every field of the message as its callback had it, only the text and the edit marks changing', () => {
    const callback = buildSandboxCallback(
      {
        id: '1717000001000',
        sender: { uid: 'alice', name: 'Alice' },
        conversation: { type: 'user' },
        text: 'where is my order?',
        sentAt: 1717000001,
      },
      BOT,
    );
    const { editedAt, editedBy, updatedAt, data, ...rest } = event.data.message as Record<string, any>;
    const { data: originalData, updatedAt: _sentUpdatedAt, ...original } = callback.data as Record<string, any>;
    expect(rest).toEqual(original);
    expect(Object.keys(data).sort()).toEqual([...Object.keys(originalData), 'mentions'].sort());
    expect([editedAt, editedBy, updatedAt]).toEqual([1717000009, 'alice', 1717000009]);
  });

  it("addresses a group message's edit to the group", () => {
    const group = buildEditedEvent(
      sent({ receiver: 'ops-room', receiverType: 'group', conversationId: 'group_ops-room' }),
      '<@uid:support-bot> status?',
      1717000009,
      BOT,
    );
    expect(group.data.message).toMatchObject({ receiver: 'ops-room', receiverType: 'group', conversationId: 'group_ops-room' });
  });
});

describe('buildDeletedEvent', () => {
  it('is a message_deleted envelope carrying the message as it was, marked deletedAt and deletedBy', () => {
    const event = buildDeletedEvent(sent({ text: 'edited text', editedAt: 1717000005 }), 1717000010, BOT);
    expect(event).toEqual({ trigger: 'message_deleted', data: { message: expect.any(Object) }, ...ENVELOPE });
    expect(event.data.message).toMatchObject({
      id: '1717000001000',
      sender: 'alice',
      receiver: 'support-bot',
      receiverType: 'user',
      category: 'message',
      type: 'text',
      data: { text: 'edited text' },
      sentAt: 1717000001,
      deletedAt: 1717000010,
      deletedBy: 'alice',
      conversationId: 'alice_user_support-bot',
    });
  });
});

describe('buildReactionEvent', () => {
  it('is message_reaction_added with data.reaction as CometChat documents it and data.message the reply', () => {
    const event = buildReactionEvent('added', thumbsUp, reply, BOT);
    expect(event).toEqual({
      trigger: 'message_reaction_added',
      data: {
        reaction: {
          id: '1717000003000',
          messageId: '1717000002000',
          reaction: '👍',
          uid: 'alice',
          reactedAt: 1717000003,
          reactedBy: { uid: 'alice', name: 'Alice' },
        },
        message: { ...reply, updatedAt: 1717000002 },
      },
      ...ENVELOPE,
    });
  });

  it('is message_reaction_removed for a reaction taken back, with the same reaction id; a user without a name is named by uid', () => {
    const { name: _name, ...nameless } = thumbsUp;
    const event = buildReactionEvent('removed', nameless, { ...reply, editedAt: 1717000004 }, BOT);
    expect(event.trigger).toBe('message_reaction_removed');
    expect(event.data.reaction).toMatchObject({ id: '1717000003000', reactedBy: { uid: 'alice', name: 'alice' } });
    expect(event.data.message).toMatchObject({ id: '1717000002000', sender: 'support-bot', updatedAt: 1717000004 });
  });
});
