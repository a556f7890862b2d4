/** Who the chat page's user says they are. */
export interface SandboxSender {
  uid: string;
  name?: string;
}

/** One-to-one with the bot, or a group (by GUID). */
export type SandboxConversation = { type: 'user' } | { type: 'group'; id: string };

export interface SandboxBot {
  uid: string;
  appId: string;
  region: string;
}

const MENTION = /<@uid:([^>\s]+)>/g;

/** CometChat's conversation id: the two UIDs in order joined by `_user_`, or `group_<guid>`. */
export function conversationIdOf(receiverType: 'user' | 'group', receiver: string, sender: string): string {
  return receiverType === 'group' ? `group_${receiver}` : [sender, receiver].sort().join('_user_');
}

/** `data.mentions` as CometChat sends it: every `<@uid:…>` token in the text, by UID. */
export function mentionsIn(text: string, bot: SandboxBot): Record<string, { uid: string; name: string }> | undefined {
  const mentions: Record<string, { uid: string; name: string }> = {};
  for (const [, raw] of text.matchAll(MENTION)) {
    const uid = raw.toLowerCase();
    mentions[uid] = { uid, name: uid === bot.uid ? 'Bot' : uid };
  }
  return Object.keys(mentions).length > 0 ? mentions : undefined;
}

/**
 * The callback CometChat would POST for a text message typed on the chat page, in the shape of
 * test/fixtures/*.json (cometchat-api.md §1.6 and §1.7), so the page exercises the real webhook path.
 */
export function buildSandboxCallback(
  message: { id: string; sender: SandboxSender; conversation: SandboxConversation; text: string; sentAt: number },
  bot: SandboxBot,
): Record<string, unknown> {
  const { id, sender, conversation, text, sentAt } = message;
  const [receiverType, receiver] = conversation.type === 'group' ? (['group', conversation.id] as const) : (['user', bot.uid] as const);
  const conversationId = conversationIdOf(receiverType, receiver, sender.uid);
  const mentions = mentionsIn(text, bot);
  const receiverEntity =
    receiverType === 'group'
      ? {
          entity: { guid: receiver, name: receiver, type: 'public', scope: 'participant', conversationId, hasJoined: true },
          entityType: 'group',
        }
      : { entity: { uid: bot.uid, name: 'Bot', status: 'available', role: 'default', conversationId }, entityType: 'user' };
  return {
    trigger: 'after_message',
    data: {
      id,
      muid: `_sandbox${id}`,
      conversationId,
      sender: sender.uid,
      receiverType,
      receiver,
      category: 'message',
      type: 'text',
      data: {
        text,
        ...(mentions ? { mentions } : {}),
        entities: {
          sender: {
            entity: { uid: sender.uid, name: sender.name || sender.uid, status: 'available', role: 'default', lastActiveAt: sentAt },
            entityType: 'user',
          },
          receiver: receiverEntity,
        },
      },
      sentAt,
      updatedAt: sentAt,
    },
    appId: bot.appId,
    origin: { platform: 'web', language: 'javascript', resource: 'sandbox-chat-page' },
    chatAPIVersion: '3.0',
    region: bot.region,
    bot: bot.uid,
  };
}
