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
  event: BotEvent;
  /** Set when the text is a slash command. */
  command?: ParsedCommand;
  /** The match of the responder's declared `pattern`, when it has one. */
  match?: RegExpExecArray;
  /** Typed state kept per conversation in Redis (with a TTL). */
  state: ConversationState;
  /** Aborted when the responder's time is up; pass it to fetch/axios so slow work stops too. */
  signal: AbortSignal;
}

export type ResponderResult = BotReply | BotReply[] | void | undefined;

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
