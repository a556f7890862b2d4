import { refusalOf } from '../webhook/callback-refusal';
import { jsonSchemaOf, strictValidatorCompiler } from '../webhook/callback-schema';
import { CometChatCallbackDto } from '../webhook/dto/cometchat-callback.dto';
import { buildSandboxCallback, conversationIdOf, mentionsIn } from './sandbox-callback.factory';

const BOT = { uid: 'support-bot', appId: 'sandbox', region: 'us' };
const fixture = (name: string) => JSON.parse(JSON.stringify(require(`../../test/fixtures/${name}.json`)));

/** Every key path of a JSON value, e.g. "data.data.entities.sender.entity.uid". */
const paths = (value: unknown, prefix = ''): string[] =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...paths(v, `${prefix}${k}.`)])
    : [];

describe('buildSandboxCallback', () => {
  const group = buildSandboxCallback(
    {
      id: '2310',
      sender: { uid: 'cometchat-uid-2', name: 'George' },
      conversation: { type: 'group', id: 'ops-room' },
      text: "<@uid:support-bot> summarise today's incidents",
      sentAt: 1717000123,
    },
    BOT,
  );
  const direct = buildSandboxCallback(
    { id: '1045', sender: { uid: 'cometchat-uid-1' }, conversation: { type: 'user' }, text: 'Where is my order?', sentAt: 1717000012 },
    BOT,
  );

  it("has the fixtures' shape: every field of a CometChat group mention, and passes the webhook's validation", () => {
    const expected = paths(fixture('group-mention')).filter((p) => !/^data\.data\.(mentions|entities\.(sender|receiver)\.entity)\./.test(p));
    expect(paths(group)).toEqual(expect.arrayContaining(expected));
    const schemaCheck = strictValidatorCompiler({ schema: jsonSchemaOf(CometChatCallbackDto), method: 'POST', url: '/', httpPart: 'body' });
    for (const callback of [group, direct]) {
      expect(schemaCheck(callback)).toBe(true);
      expect(refusalOf(callback, true)).toBeNull(); // class-validator's own verdict
    }
  });

  it('addresses a one-to-one message to the bot and a group message to the group', () => {
    expect(direct.data).toMatchObject({
      sender: 'cometchat-uid-1',
      receiver: 'support-bot',
      receiverType: 'user',
      conversationId: 'cometchat-uid-1_user_support-bot',
    });
    expect(group.data).toMatchObject({ receiver: 'ops-room', receiverType: 'group', conversationId: 'group_ops-room' });
  });

  it('lists mentions only when there are some, and names the sender by uid when no name is given', () => {
    expect((group.data as any).data.mentions).toEqual({ 'support-bot': { uid: 'support-bot', name: 'Bot' } });
    expect((direct.data as any).data).not.toHaveProperty('mentions');
    expect((direct.data as any).data.entities.sender.entity.name).toBe('cometchat-uid-1');
  });
});

describe('helpers', () => {
  it('orders the two UIDs of a one-to-one conversation id', () => {
    expect(conversationIdOf('user', 'support-bot', 'alice')).toBe('alice_user_support-bot');
    expect(conversationIdOf('user', 'alice', 'support-bot')).toBe('alice_user_support-bot');
  });

  it('finds every mention token, lowercased', () => {
    expect(mentionsIn('hi <@uid:Support-Bot> and <@uid:ann>', BOT)).toEqual({
      'support-bot': { uid: 'support-bot', name: 'Bot' },
      ann: { uid: 'ann', name: 'ann' },
    });
    expect(mentionsIn('no one', BOT)).toBeUndefined();
  });
});
