/** What a responder asks the bot to say: the body of Send Bot Message, less the receiver. */
export interface BotReply {
  category: 'message' | 'custom' | 'interactive';
  type: string;
  data: Record<string, unknown>;
  /** Post into this message's thread (CometChat's threaded-message endpoint) instead of the conversation. */
  parentId?: string;
}

/** The text of a text reply ('' for any other). */
export const textOf = (reply: BotReply): string => (typeof reply.data.text === 'string' ? reply.data.text : '');
