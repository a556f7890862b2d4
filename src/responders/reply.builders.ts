import type { BotReply } from '../queue/job-contracts';

/** A text message; `<@uid:UID>` inside the text mentions a user. */
export function textReply(text: string, metadata?: Record<string, unknown>): BotReply {
  return { category: 'message', type: 'text', data: { text, ...(metadata ? { metadata } : {}) } };
}

/** A custom message; CometChat refuses an empty customData. */
export function customReply(type: string, customData: Record<string, unknown>): BotReply {
  if (Object.keys(customData).length === 0) throw new Error('customData must not be empty');
  return { category: 'custom', type, data: { customData } };
}
