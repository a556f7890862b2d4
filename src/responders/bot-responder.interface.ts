import type { BotEvent, BotReply } from '../queue/job-contracts';

/** What a responder gets for one incoming message. */
export interface ResponderContext {
  event: BotEvent;
}

/**
 * One bot behaviour. `match` decides (cheaply, synchronously) whether this responder takes the event;
 * `respond` returns what the bot says. A responder never calls CometChat itself: the replies it returns are
 * queued and sent with retries. A thrown error retries the whole turn with backoff.
 */
export interface BotResponder {
  match(event: BotEvent): boolean;
  respond(ctx: ResponderContext): Promise<BotReply | BotReply[] | void> | BotReply | BotReply[] | void;
}
