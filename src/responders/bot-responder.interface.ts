import type { BotEvent, BotReply } from '../messages';
import type { ConversationState } from './conversation-state';

/** `/order 5521` → `{ name: 'order', args: ['5521'] }`; the name is lowercased, the args are kept as typed. */
export interface ParsedCommand {
  name: string;
  args: string[];
  /** Everything after the command name, as typed. */
  argText: string;
}

/** What a responder gets for one incoming message. */
export interface ResponderContext {
  /** The message to answer: the newest of the batch when the turn coalesced several. */
  event: BotEvent;
  /**
   * Every message this turn answers, oldest first, `event` last. One message unless the responder declared
   * `coalesce: true` and a burst arrived while the conversation's previous turn ran.
   */
  batch: BotEvent[];
  /** Set when the text is a slash command. */
  command?: ParsedCommand;
  /** The match of the responder's declared `pattern`, when it has one. */
  match?: RegExpExecArray;
  /** Typed state kept per conversation in Redis (with a TTL). */
  state: ConversationState;
  /** Aborted when the responder's time is up or the caller went away; pass it to fetch/axios/the model call. */
  signal: AbortSignal;
  /** Which way the message came: the bot callback (replies sent through CometChat) or the AG-UI agent endpoint (streamed). */
  path: 'bot' | 'agent';
  /**
   * The conversation's earlier messages, oldest first, when the path carries them (the agent path does: the
   * thread's messages from RunAgentInput). On the bot path it is absent; keep memory in `state` instead.
   */
  history?: HistoryMessage[];
}

/** One earlier message of a conversation. */
export interface HistoryMessage {
  role: 'user' | 'assistant';
  text: string;
  /** The sender's name or UID, when known (group chats). */
  sender?: string;
}

/**
 * One piece of a streamed answer. A plain string is text, as is `{type: 'text'}`; tool steps are shown live on
 * the agent path and dropped on the bot path, which sends the collected text as one message.
 */
export type ResponderStreamPart =
  | string
  | { type: 'text'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; args: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; result: unknown };

/** What respond() may return: replies, nothing (silence), or a stream of parts (an async iterable). */
export type ResponderResult = BotReply | BotReply[] | AsyncIterable<ResponderStreamPart> | void | undefined;

/**
 * One bot behaviour. Which events it takes is declared in @Responder() (commands, pattern, kinds, chat,
 * mentioned) and/or decided by `match()`; `respond()` returns what the bot says. A responder never calls
 * CometChat itself: its replies are queued and sent in order, each exactly once. A thrown error retries the
 * turn with backoff; a thrown TurnFailedError fails it at once.
 */
export interface BotResponder {
  match?(event: BotEvent, ctx: { command?: ParsedCommand }): boolean;
  respond(ctx: ResponderContext): Promise<ResponderResult> | ResponderResult;
}
