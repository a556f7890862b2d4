import { freshMessageId, simulatedCallback } from './simulated-callback';

describe('simulated callbacks', () => {
  it('shapes a one-to-one message as CometChat does', () => {
    const callback = simulatedCallback({ id: '42', text: 'hi', botUid: 'support-bot', sender: 'alice', now: 1717000012_000 });
    expect(callback).toMatchObject({
      trigger: 'after_message',
      bot: 'support-bot',
      data: {
        id: '42',
        sender: 'alice',
        receiver: 'support-bot',
        receiverType: 'user',
        conversationId: 'alice_user_support-bot',
        category: 'message',
        type: 'text',
        data: { text: 'hi', entities: { sender: { entity: { uid: 'alice' } }, receiver: { entityType: 'user' } } },
        sentAt: 1717000012,
      },
    });
    expect((callback.data as any).data.mentions).toBeUndefined();
  });

  it('sends to a group, mentioning the bot when asked', () => {
    const callback = simulatedCallback({ id: '43', text: 'status?', botUid: 'support-bot', sender: 'alice', group: 'ops', mention: true });
    expect(callback.data).toMatchObject({
      receiver: 'ops',
      receiverType: 'group',
      conversationId: 'group_ops',
      data: {
        text: '<@uid:support-bot> status?',
        mentions: { 'support-bot': { uid: 'support-bot', name: 'Bot' } },
        entities: { receiver: { entity: { guid: 'ops' }, entityType: 'group' } },
      },
    });
  });

  it('makes numeric ids that always increase', () => {
    const [a, b, c] = [freshMessageId(1000), freshMessageId(1000), freshMessageId(999)];
    expect(a).toMatch(/^\d+$/);
    expect(Number(b)).toBeGreaterThan(Number(a));
    expect(Number(c)).toBeGreaterThan(Number(b));
  });
});
