import type { ModelMessage } from 'ai';
import type { BotEvent, ConversationState, Feedback, HistoryMessage } from '../responders';

/** One answered turn kept in conversation state: the user's message(s) and the bot's answer. */
export interface Exchange {
  /** The message ids answered: a retried turn replaces its own exchange instead of adding it twice. */
  ids: string[];
  user: Array<{ text: string; sender?: string }>;
  assistant: string;
  /** A 👍 (`up`) or 👎 (`down`) on the answer (the app webhooks), shown to the model with it. */
  feedback?: Feedback;
}

/** The conversation-state field the bot path keeps its memory in. */
export const HISTORY_FIELD = 'llm:history';

/**
 * Tokens a text costs, estimated as one per 4 characters (OpenAI's rule of thumb for English; other scripts cost
 * more per character, so the cap is approximate). Good enough to bound a prompt; the model reports the real count.
 */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** What a user line says to the model: in group chats, prefixed with the sender's name. */
export const userLine = (text: string, sender: string | undefined, group: boolean) => (group && sender ? `${sender}: ${text}` : text);

const exchangeTokens = (exchange: Exchange) =>
  exchange.user.reduce((sum, line) => sum + estimateTokens(userLine(line.text, line.sender, true)), 0) + estimateTokens(exchange.assistant);

/** The newest exchanges, at most `maxTurns` of them and about `maxTokens` in all; the oldest go first. */
export function boundExchanges(exchanges: Exchange[], maxTurns: number, maxTokens: number): Exchange[] {
  const kept: Exchange[] = [];
  let tokens = 0;
  for (let i = exchanges.length - 1; i >= 0 && kept.length < maxTurns; i--) {
    tokens += exchangeTokens(exchanges[i]);
    if (tokens > maxTokens) break;
    kept.unshift(exchanges[i]);
  }
  return kept;
}

/** The same bound for messages the caller sent (the agent path): `maxTurns` user messages and their answers. */
export function boundMessages(history: HistoryMessage[], maxTurns: number, maxTokens: number): HistoryMessage[] {
  const kept: HistoryMessage[] = [];
  let tokens = 0;
  let turns = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i];
    if (message.role === 'user' && ++turns > maxTurns) break;
    tokens += estimateTokens(userLine(message.text, message.sender, true));
    if (tokens > maxTokens) break;
    kept.unshift(message);
  }
  // A history never starts with an answer to a question that was cut off.
  while (kept.length && kept[0].role === 'assistant') kept.shift();
  return kept;
}

/** A turn's own messages: each message of the batch, oldest first. */
export function turnLines(batch: BotEvent[]): Exchange['user'] {
  return batch.filter((event) => event.text).map((event) => ({ text: event.text!, sender: event.sender.name ?? event.sender.uid }));
}

/** What the model is told of a rated answer, right after it. */
export const FEEDBACK_NOTE: Record<Feedback, string> = {
  up: '(Feedback on the answer above: 👍, helpful.)',
  down: '(Feedback on the answer above: 👎, not helpful.)',
};

export function exchangesToMessages(exchanges: Exchange[], group: boolean): ModelMessage[] {
  return exchanges.flatMap((exchange) => [
    ...exchange.user.map((line): ModelMessage => ({ role: 'user', content: userLine(line.text, line.sender, group) })),
    { role: 'assistant', content: exchange.assistant } satisfies ModelMessage,
    ...(exchange.feedback ? [{ role: 'user', content: FEEDBACK_NOTE[exchange.feedback] } satisfies ModelMessage] : []),
  ]);
}

export function historyToMessages(history: HistoryMessage[], group: boolean): ModelMessage[] {
  return history.map((message): ModelMessage =>
    message.role === 'user' ? { role: 'user', content: userLine(message.text, message.sender, group) } : { role: 'assistant', content: message.text },
  );
}

export interface MemoryLimits {
  turns: number;
  maxTokens: number;
}

/** The bot path's memory: exchanges in conversation state, bounded on every write. */
export class ConversationMemory {
  constructor(
    private readonly state: ConversationState,
    private readonly limits: MemoryLimits,
  ) {}

  /** Earlier exchanges, without any of this turn's own messages (a retry after its exchange was saved). */
  async earlier(ids: string[]): Promise<Exchange[]> {
    const stored = (await this.state.get<Exchange[]>(HISTORY_FIELD)) ?? [];
    return boundExchanges(
      stored.filter((exchange) => !overlaps(exchange, ids)),
      this.limits.turns,
      this.limits.maxTokens,
    );
  }

  /**
   * The feedback on the answer to this message: set by a 👍/👎 added, cleared by that one removed (`feedback`
   * undefined clears whatever it was only when `removed` names it). An exchange no longer kept is left so.
   */
  async rate(question: string, feedback: Feedback, removed = false): Promise<void> {
    const stored = (await this.state.get<Exchange[]>(HISTORY_FIELD)) ?? [];
    const exchange = stored.find((earlier) => earlier.ids.includes(question));
    if (!exchange || (removed && exchange.feedback !== feedback)) return;
    if (removed) delete exchange.feedback;
    else exchange.feedback = feedback;
    await this.state.set(HISTORY_FIELD, stored);
  }

  async append(exchange: Exchange): Promise<void> {
    if (this.limits.turns === 0) return;
    const stored = (await this.state.get<Exchange[]>(HISTORY_FIELD)) ?? [];
    const kept = stored.filter((earlier) => !overlaps(earlier, exchange.ids));
    await this.state.set(HISTORY_FIELD, boundExchanges([...kept, exchange], this.limits.turns, this.limits.maxTokens));
  }
}

const overlaps = (exchange: Exchange, ids: string[]) => exchange.ids.some((id) => ids.includes(id));
