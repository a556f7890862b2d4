import type { AGUIEvent, Message, RunAgentInput } from '@ag-ui/core';
import { EventType } from '@ag-ui/core';
import { randomUUID } from 'node:crypto';
import type { BotResponder } from '../../responders';
import { InMemoryConversationState } from '../../responders/conversation-state';
import type { RouterSettings } from '../../responders/responder-router';
import { routerFor, TEST_BOT_UID } from '../../responders/testing';
import { runAgentTurn } from '../agent-run';
import { parseRunAgentInput, turnOf } from '../run-agent-input';

/**
 * The agent path of the test kit: a responder run as POST /agents/ag-ui runs it, with no HTTP and no Redis, and
 * the AG-UI events it would stream. The bot path is runTurn() in src/responders/testing.
 */

/** A RunAgentInput for a few lines of a thread: the last is the user's new message, the earlier ones alternate user/assistant. */
export function agentInput(text: string, { earlier = [] as string[], threadId = 'test-thread', forwardedProps = {} } = {}): RunAgentInput {
  const messages: Message[] = [...earlier, text].map((content, index, all) => ({
    id: `m-${index + 1}`,
    role: (all.length - 1 - index) % 2 === 0 ? 'user' : 'assistant',
    content,
  }));
  return parseRunAgentInput({ threadId, runId: randomUUID(), messages, forwardedProps });
}

export interface AgentRunResult {
  /** Every event the endpoint would stream, in order. */
  events: AGUIEvent[];
  types: string[];
  /** The text of each text message, its deltas joined. */
  texts: string[];
  /** Why the run ended with RUN_ERROR, if it did. */
  error?: unknown;
  state: InMemoryConversationState;
}

/** Runs one AG-UI run through the responders given, exactly as the endpoint does (same router, events and order). */
export async function runAgent(
  responders: BotResponder | BotResponder[],
  input: RunAgentInput | string,
  options: { state?: InMemoryConversationState; settings?: Partial<RouterSettings>; signal?: AbortSignal; botUid?: string } = {},
): Promise<AgentRunResult> {
  const run = typeof input === 'string' ? agentInput(input) : input;
  const turn = turnOf(run, options.botUid ?? TEST_BOT_UID);
  const router = routerFor(responders, options.settings);
  const state = options.state ?? new InMemoryConversationState();
  const events: AGUIEvent[] = [];
  const { error } = await runAgentTurn({
    input: run,
    turn,
    respond: (respondOptions) => router.respond(turn.event, state, respondOptions),
    emit: (event) => events.push(event),
    signal: options.signal ?? new AbortController().signal,
  });
  const texts = new Map<string, string>();
  for (const event of events) {
    if (event.type === EventType.TEXT_MESSAGE_START) texts.set(event.messageId, '');
    if (event.type === EventType.TEXT_MESSAGE_CONTENT) texts.set(event.messageId, texts.get(event.messageId)! + event.delta);
  }
  return { events, types: events.map((event) => event.type), texts: [...texts.values()], error, state };
}
