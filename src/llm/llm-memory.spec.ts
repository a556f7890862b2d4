import { InMemoryConversationState } from '../responders/conversation-state';
import { buildEvent } from '../responders/testing';
import {
  boundExchanges,
  boundMessages,
  ConversationMemory,
  estimateTokens,
  Exchange,
  exchangesToMessages,
  FEEDBACK_NOTE,
  HISTORY_FIELD,
  turnLines,
} from './llm-memory';

const exchange = (n: number, size = 4): Exchange => ({
  ids: [String(n)],
  user: [{ text: `q${n}`.padEnd(size, '.') }],
  assistant: `a${n}`.padEnd(size, '.'),
});

describe('LLM memory', () => {
  it('estimates a token per 4 characters, rounding up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
  });

  it('keeps the newest exchanges: at most the turns asked for', () => {
    const all = [1, 2, 3, 4, 5].map((n) => exchange(n));
    expect(boundExchanges(all, 2, 1000).map((e) => e.ids[0])).toEqual(['4', '5']);
    expect(boundExchanges(all, 0, 1000)).toEqual([]);
  });

  it('and about the tokens asked for, dropping the oldest first', () => {
    // Each exchange is 40 + 40 characters: 20 tokens.
    const all = [1, 2, 3].map((n) => exchange(n, 40));
    expect(boundExchanges(all, 20, 45).map((e) => e.ids[0])).toEqual(['2', '3']);
    expect(boundExchanges(all, 20, 19)).toEqual([]);
  });

  it('bounds a caller-sent history by user turns and tokens, never starting with an answer', () => {
    const history = [
      { role: 'user' as const, text: 'one' },
      { role: 'assistant' as const, text: 'first answer' },
      { role: 'user' as const, text: 'two' },
      { role: 'assistant' as const, text: 'second answer' },
    ];
    expect(boundMessages(history, 1, 1000).map((m) => m.text)).toEqual(['two', 'second answer']);
    // 'second answer' fits (4 tokens), its question does not: an answer alone is dropped.
    expect(boundMessages(history, 10, 4).map((m) => m.text)).toEqual([]);
    expect(boundMessages(history, 10, 1000)).toHaveLength(4);
  });

  it('names the sender of each user line in group chats only', () => {
    const lines = turnLines([buildEvent({ text: 'hello', sender: 'ana', senderName: 'Ana', group: 'team' })]);
    const stored: Exchange = { ids: ['1'], user: lines, assistant: 'hi Ana' };
    expect(exchangesToMessages([stored], true)).toEqual([
      { role: 'user', content: 'Ana: hello' },
      { role: 'assistant', content: 'hi Ana' },
    ]);
    expect(exchangesToMessages([stored], false)[0]).toEqual({ role: 'user', content: 'hello' });
  });

  it('stores exchanges in conversation state, bounded on write; a retried turn replaces its own', async () => {
    const state = new InMemoryConversationState();
    const memory = new ConversationMemory(state, { turns: 2, maxTokens: 1000 });
    for (const n of [1, 2, 3]) await memory.append(exchange(n));
    expect((state.snapshot()[HISTORY_FIELD] as Exchange[]).map((e) => e.ids[0])).toEqual(['2', '3']);

    await memory.append({ ...exchange(3), assistant: 'a3 again' });
    expect((state.snapshot()[HISTORY_FIELD] as Exchange[]).map((e) => e.assistant)).toEqual(['a2..', 'a3 again']);
    // A retry of turn 3 does not see its own earlier answer as history.
    expect((await memory.earlier(['3'])).map((e) => e.ids[0])).toEqual(['2']);
  });

  it('keeps a 👍/👎 with the answer it is on, shows it after that answer, and clears it only when that one is taken back', async () => {
    const state = new InMemoryConversationState();
    const memory = new ConversationMemory(state, { turns: 5, maxTokens: 1000 });
    for (const n of [1, 2]) await memory.append(exchange(n));
    await memory.rate('1', 'down');
    await memory.rate('1', 'up', true); // not the one it has: left as it is
    await memory.rate('9', 'up'); // no longer kept: nothing to do
    const kept = await memory.earlier([]);
    expect(kept.map((e) => e.feedback)).toEqual(['down', undefined]);
    expect(exchangesToMessages(kept, false).map((m) => m.content)).toEqual(['q1..', 'a1..', FEEDBACK_NOTE.down, 'q2..', 'a2..']);
    await memory.rate('1', 'down', true);
    expect((await memory.earlier([])).map((e) => e.feedback)).toEqual([undefined, undefined]);
  });

  it('keeps nothing with LLM_HISTORY_TURNS=0', async () => {
    const state = new InMemoryConversationState();
    await new ConversationMemory(state, { turns: 0, maxTokens: 1000 }).append(exchange(1));
    expect(state.snapshot()).toEqual({});
  });
});
