import type { FastifyRequest } from 'fastify';
import type { WebhookOutcome } from '../metrics/metric-definitions';
import { conversationKey } from '../messages';

/** The webhook's one log line per request: what was answered, for which message, how fast. */
export interface RequestLine {
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
 * logged, so neither the credentials nor the message's content reach the log.
 */
export function requestLine(request: FastifyRequest, status: number, outcome: WebhookOutcome, elapsedMs: number): RequestLine {
  const line: RequestLine = { status, outcome, requestId: request.id, latencyMs: Math.round(elapsedMs * 100) / 100 };
  const data = (request.body as { data?: unknown } | null | undefined)?.data as Record<string, unknown> | undefined;
  if (typeof data === 'object' && data !== null) {
    if (typeof data.id === 'string') line.messageId = data.id;
    const group = data.receiverType === 'group';
    const peer = group ? data.receiver : data.sender;
    if (typeof peer === 'string') line.conversation = conversationKey({ type: group ? 'group' : 'user', id: peer });
  }
  if (request.webhookReason) line.reason = request.webhookReason;
  return line;
}
