import { EventType, type AGUIEvent } from '@ag-ui/core';
import { randomUUID } from 'node:crypto';
import type { BotReply } from '../messages';
import { ResponderTimeoutError, TurnFailedError, type StreamPart } from '../responders';

/** Said instead of an error's own message, which may carry internals (URLs, hosts, keys); the log has the rest. */
export const RESPONDER_FAILED = 'the responder failed to answer';

/** Why a run stopped before its end when the service, not the client, stopped it. */
export class RunStoppedError extends Error {
  constructor(message = 'the service is shutting down') {
    super(message);
    this.name = 'RunStoppedError';
  }
}

/**
 * One line of text for a reply the agent path cannot show as CometChat would: the text of a text reply or a card,
 * a media reply's URL, a form's title, and `[custom: type]` for a custom message.
 */
export function replyText(reply: BotReply): string {
  const data = reply.data as {
    text?: unknown;
    attachments?: Array<{ url?: unknown; name?: unknown }>;
    interactiveData?: { text?: unknown; title?: unknown };
  };
  if (typeof data.text === 'string' && data.text.trim()) return data.text;
  const file = data.attachments?.find((attachment) => typeof attachment.url === 'string');
  if (file) return `${reply.type}: ${typeof file.name === 'string' && file.name ? `${file.name} ` : ''}${String(file.url)}`;
  const interactive = data.interactiveData;
  if (typeof interactive?.text === 'string' && interactive.text.trim()) return interactive.text;
  if (typeof interactive?.title === 'string' && interactive.title.trim()) return `[${reply.type}: ${interactive.title}]`;
  return `[${reply.category}: ${reply.type}]`;
}

/** RUN_ERROR's fields for a failed turn: a responder's own TurnFailedError words are shown, nothing else is. */
export function runErrorOf(error: unknown): { message: string; code: string } {
  if (error instanceof RunStoppedError) return { message: error.message, code: 'SERVICE_STOPPING' };
  if (error instanceof ResponderTimeoutError) return { message: error.message, code: 'RESPONDER_TIMEOUT' };
  if (error instanceof TurnFailedError) return { message: error.message, code: 'TURN_FAILED' };
  return { message: RESPONDER_FAILED, code: 'RESPONDER_ERROR' };
}

/**
 * The AG-UI events of one run, in an order @ag-ui/client verifies: RUN_STARTED, then text messages (a streamed
 * text part opens one, a tool step closes it) and tool calls, then RUN_FINISHED or RUN_ERROR, after which nothing.
 * Plain class, no I/O: the endpoint and the test kit both use it.
 */
export class RunEvents {
  private openText?: string;
  private lastText?: string;
  private ended = false;

  constructor(
    private readonly run: { threadId: string; runId: string },
    private readonly newId: () => string = randomUUID,
  ) {}

  started(): AGUIEvent[] {
    return [{ type: EventType.RUN_STARTED, threadId: this.run.threadId, runId: this.run.runId }];
  }

  /** A streamed part as it comes. */
  part(part: StreamPart): AGUIEvent[] {
    if (this.ended) return [];
    if (part.type === 'text') return part.text ? [...this.openTextMessage(), this.content(part.text)] : [];
    const closed = this.closeText();
    if (part.type === 'tool-call') {
      const { toolCallId, toolName } = part;
      return [
        ...closed,
        {
          type: EventType.TOOL_CALL_START,
          toolCallId,
          toolCallName: toolName,
          ...(this.lastText ? { parentMessageId: this.lastText } : {}),
        },
        { type: EventType.TOOL_CALL_ARGS, toolCallId, delta: JSON.stringify(part.args ?? {}) },
        { type: EventType.TOOL_CALL_END, toolCallId },
      ];
    }
    const content = typeof part.result === 'string' ? part.result : JSON.stringify(part.result ?? null);
    return [...closed, { type: EventType.TOOL_CALL_RESULT, messageId: this.newId(), toolCallId: part.toolCallId, content, role: 'tool' }];
  }

  /** A whole reply of a responder that did not stream: one text message of its own. */
  reply(reply: BotReply): AGUIEvent[] {
    if (this.ended) return [];
    return [...this.closeText(), ...this.openTextMessage(), this.content(replyText(reply)), ...this.closeText()];
  }

  finished(): AGUIEvent[] {
    if (this.ended) return [];
    const closed = this.closeText();
    this.ended = true;
    return [...closed, { type: EventType.RUN_FINISHED, threadId: this.run.threadId, runId: this.run.runId }];
  }

  /** RUN_ERROR ends the run where it stands: an open text message stays unfinished, as it is. */
  failed(error: unknown): AGUIEvent[] {
    if (this.ended) return [];
    this.ended = true;
    return [{ type: EventType.RUN_ERROR, ...runErrorOf(error) }];
  }

  private openTextMessage(): AGUIEvent[] {
    if (this.openText) return [];
    this.openText = this.lastText = this.newId();
    return [{ type: EventType.TEXT_MESSAGE_START, messageId: this.openText, role: 'assistant' }];
  }

  private content(delta: string): AGUIEvent {
    return { type: EventType.TEXT_MESSAGE_CONTENT, messageId: this.openText!, delta };
  }

  private closeText(): AGUIEvent[] {
    if (!this.openText) return [];
    const messageId = this.openText;
    this.openText = undefined;
    return [{ type: EventType.TEXT_MESSAGE_END, messageId }];
  }
}
