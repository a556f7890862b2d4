import type { BotReply, Conversation } from '../messages';
import type { RateLimitQuota } from './cometchat-error';

export interface OutgoingMessage {
  target: Conversation;
  reply: BotReply;
  muid: string;
}

/** An edit of a message the bot sent: its id, and the reply whose data replaces the message's (its text, say). */
export interface EditedMessage {
  target: Conversation;
  messageId: string;
  reply: BotReply;
}

/** A message the bot sent, to delete: its id, in its conversation. */
export interface DeletedMessage {
  target: Conversation;
  messageId: string;
}

/** The message CometChat stored, as its 200 answer returns it (only the fields we use are typed). */
export interface SentMessage {
  id: string;
  /** CometChat's HTTP status (absent where nothing was sent over HTTP: the sandbox). */
  status?: number;
  /** What is left of the app's request quota, when CometChat's answer says. */
  quota?: RateLimitQuota;
  [field: string]: unknown;
}

/**
 * Where the replies processor sends a reply: CometChat (CometChatModule provides CometChatClient under this
 * token) or the sandbox outbox (SandboxReplySenderModule). AppModule picks the module by COMETCHAT_MODE, so
 * nothing here knows the sandbox exists. Failures are thrown classified (see cometchat-error), so retries,
 * backoff and the record of sent replies work the same for either.
 */
export interface ReplySender {
  sendBotMessage(message: OutgoingMessage): Promise<SentMessage>;
  /** Update Message, on behalf of the bot: the message's data becomes the reply's (a streamed answer filled in). */
  editBotMessage(message: EditedMessage): Promise<SentMessage>;
  /** Delete Message, on behalf of the bot: its answer to a message its sender deleted. A message gone already counts as deleted. */
  deleteBotMessage(message: DeletedMessage): Promise<SentMessage>;
  /**
   * The id of the message the bot sent with this `muid` since `sinceMs` (epoch ms), if it finds one: asked before
   * sending again a reply whose earlier send may have been stored unconfirmed. One bounded look, not a search.
   */
  findSent(message: OutgoingMessage, sinceMs: number): Promise<string | undefined>;
}

export const REPLY_SENDER = Symbol('REPLY_SENDER');
