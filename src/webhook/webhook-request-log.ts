import type { FastifyRequest } from 'fastify';
import type { WebhookOutcome } from '../metrics/metric-definitions';
import { conversationKey } from '../messages';

/** The webhook's one log line per request: what was answered, for which message, how fast. */
export interface RequestLine {
  /** The bot the request was for, in a deployment of several (a served bot's UID; absent when it named none). */
  bot?: string;
  status: number;
  outcome: WebhookOutcome;
  requestId: string;
  latencyMs: number;
  messageId?: string;
  conversation?: string;
  reason?: string;
}

/**
 * The line's fields, read off the request as it was answered. The message and conversation come from the body as far
 * as it goes (a refused callback may lack them, or be no object at all); nothing else of the body or the headers is
 * logged, so neither the credentials nor the message's content reach the log. `bot`: the served bot the request was
 * for, given in a deployment of several (where the other lines name it too, and a conversation is one bot's).
 */
export function requestLine(request: FastifyRequest, status: number, outcome: WebhookOutcome, elapsedMs: number, bot?: string): RequestLine {
  const line: RequestLine = {
    ...(bot !== undefined ? { bot } : {}),
    status,
    outcome,
    requestId: request.id,
    latencyMs: Math.round(elapsedMs * 100) / 100,
  };
  const data = (request.body as { data?: unknown } | null | undefined)?.data as Record<string, unknown> | undefined;
  if (typeof data === 'object' && data !== null) {
    if (typeof data.id === 'string') line.messageId = data.id;
    const group = data.receiverType === 'group';
    const peer = group ? data.receiver : data.sender;
    // Keyed as the turn and send lines key it: with several bots, the conversation is the bot's own.
    if (typeof peer === 'string')
      line.conversation = conversationKey({ type: group ? 'group' : 'user', id: peer, ...(bot !== undefined ? { bot } : {}) });
  }
  if (request.webhookReason) line.reason = request.webhookReason;
  return line;
}
