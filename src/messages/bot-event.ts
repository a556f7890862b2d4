/** Where a reply goes: the sender for one-to-one chats, the group for group chats. */
export interface Conversation {
  type: 'user' | 'group';
  /** The peer user's UID (one-to-one) or the group's GUID. */
  id: string;
  /**
   * The bot's UID (lowercased) in a deployment of several bots, where a conversation is one bot's: the same group with
   * two bots is two conversations. Absent with one bot, whose keys are as they always were.
   */
  bot?: string;
}

/** One name per conversation, for keys and logs: `user-ana`, or `support-bot/user-ana` when it is one bot's of several. */
export const conversationKey = (c: Conversation) => (c.bot === undefined ? `${c.type}-${c.id}` : `${c.bot}/${c.type}-${c.id}`);

export interface Attachment {
  url: string;
  name?: string;
  mimeType?: string;
  extension?: string;
  size?: number;
}

/**
 * What happened to a message: sent (`message`, the bot callback), or, from CometChat's app webhooks, `edited`,
 * `deleted`, or a reaction added to or removed from it.
 */
export type BotEventKind = 'message' | 'edited' | 'deleted' | 'reaction-added' | 'reaction-removed';
export const BOT_EVENT_KINDS: readonly BotEventKind[] = ['message', 'edited', 'deleted', 'reaction-added', 'reaction-removed'];

/** A reaction added to or removed from a message (`reaction-added` / `reaction-removed`). */
export interface Reaction {
  /** The emoji, as CometChat sends it (`👍`). */
  emoji: string;
  /** Who reacted. */
  by: { uid: string; name?: string };
  /** The message is one of this bot's answers: the responder that said it, when known. */
  onAnswer?: { responder?: string; question?: string };
}

/**
 * A CometChat message, or a change to one, normalised for responders. For a change (`kind` not `message`) the fields
 * are the message's as it stands after it (an edit's new text), `sender` is who made the change (the reactor of a
 * reaction), and `before` / `reaction` say what changed.
 */
export interface BotEvent {
  /** CometChat's message id (a string of digits): for a change, the message changed. */
  id: string;
  kind: BotEventKind;
  /** `edited`: the message as it was before, where the service knows it (the text it answered). */
  before?: { text?: string };
  /** `reaction-added` / `reaction-removed`. */
  reaction?: Reaction;
  bot: string;
  /** Sent by another bot of this deployment: only responders that declare `answersBots` take it. */
  fromBot?: boolean;
  sender: { uid: string; name?: string };
  conversation: Conversation;
  category: string;
  type: string;
  /** The text with the bot's mention tokens removed and whitespace trimmed; absent for non-text messages. */
  text?: string;
  mentionsBot: boolean;
  parentId?: string;
  attachments: Attachment[];
  metadata?: Record<string, unknown>;
  customData?: Record<string, unknown>;
  sentAt?: number;
  /** When the service stored the callback (ms since the epoch). */
  receivedAt: number;
  /** The callback exactly as CometChat sent it. */
  raw: Record<string, unknown>;
}
