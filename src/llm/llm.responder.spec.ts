import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';
import type { LlmConfig } from '../config/app.config';
import { servedBots } from '../config/testing/served-bots';
import { MetricsService } from '../metrics/metrics.service';
import { InMemoryConversationState } from '../responders/conversation-state';
import { responderOptionsOf } from '../responders/responder.decorator';
import { ResponderRouter } from '../responders/responder-router';
import { buildEvent, runTurn } from '../responders/testing';
import { HISTORY_FIELD } from './llm-memory';
import { LlmToolRegistry } from './llm-tool.registry';
import type { LlmUsageStore } from './llm-usage.store';
import { LlmResponder } from './llm.responder';

const usage = { inputTokens: { total: 7, noCache: 7, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 3, text: 3, reasoning: 0 } };
const finish = (unified: 'stop' | 'tool-calls'): LanguageModelV4StreamPart => ({ type: 'finish', usage, finishReason: { unified, raw: unified } });
const streamOf = (parts: LanguageModelV4StreamPart[]) => ({
  stream: new ReadableStream<LanguageModelV4StreamPart>({
    start(controller) {
      parts.forEach((part) => controller.enqueue(part));
      controller.close();
    },
  }),
});
const textAnswer = (text: string) =>
  streamOf([
    { type: 'text-start', id: 't' },
    ...text.split(' ').map((w, i) => ({ type: 'text-delta' as const, id: 't', delta: i ? ` ${w}` : w })),
    { type: 'text-end', id: 't' },
    finish('stop'),
  ]);
const toolCall = (toolName: string, input: unknown) =>
  streamOf([{ type: 'tool-call', toolCallId: 'call-1', toolName, input: JSON.stringify(input) }, finish('tool-calls')]);

const config: LlmConfig = {
  model: 'mock',
  baseUrl: 'http://unused',
  apiKey: undefined,
  systemPrompt: undefined,
  systemPromptFile: undefined,
  historyTurns: 20,
  historyMaxTokens: 8000,
  maxSteps: 5,
  maxOutputTokens: 256,
  dailyTokensPerUser: 100,
  limitText: 'Daily limit reached.',
  streaming: true,
  timeoutMs: 5000,
  groupChatSetting: 'mentionedMessages',
};

/** A budget store without Redis (its own spec runs it on Redis): what each user spent and holds. */
class CountingUsage {
  spent = new Map<string, number>();
  async reserve(uid: string) {
    if ((this.spent.get(uid) ?? 0) >= config.dailyTokensPerUser!) return null;
    this.spent.set(uid, (this.spent.get(uid) ?? 0) + config.maxOutputTokens);
    return { key: uid, held: config.maxOutputTokens };
  }
  async settle({ key, held }: { key: string; held: number }, tokens: number) {
    this.spent.set(key, (this.spent.get(key) ?? 0) + tokens - held);
  }
}

const setup = (model: MockLanguageModelV4) => {
  const tools = new LlmToolRegistry(undefined as never);
  tools.tools = [
    {
      options: { name: 'lookup_order', description: 'Finds an order', inputSchema: z.object({ id: z.string() }) },
      instance: { execute: ({ id }: { id: string }) => ({ id, status: 'shipped' }) },
    },
  ];
  const spent = new CountingUsage();
  const bots = servedBots();
  const responder = new LlmResponder(config, model, 'Be brief.', tools, spent as unknown as LlmUsageStore, new MetricsService(), bots, () => model);
  return { responder, spent };
};

const promptText = (model: MockLanguageModelV4, call = 0) =>
  model.doStreamCalls[call].prompt.map((m) => ({
    role: m.role,
    text: typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text ?? p.type).join(''),
  }));

describe('LlmResponder', () => {
  it('on the agent path streams tool steps and text, and uses the history it is given instead of state', async () => {
    const model = new MockLanguageModelV4({ doStream: [toolCall('lookup_order', { id: '5521' }), textAnswer('It has shipped.')] });
    const { responder } = setup(model);
    const history = [
      { role: 'user' as const, text: 'hi' },
      { role: 'assistant' as const, text: 'hello!' },
    ];
    const turn = await runTurn(responder, buildEvent({ text: 'where is 5521?' }), { path: 'agent', history });

    expect(turn.parts).toEqual([
      { type: 'tool-call', toolCallId: 'call-1', toolName: 'lookup_order', args: { id: '5521' } },
      { type: 'tool-result', toolCallId: 'call-1', toolName: 'lookup_order', result: { id: '5521', status: 'shipped' } },
      { type: 'text', text: 'It' },
      { type: 'text', text: ' has' },
      { type: 'text', text: ' shipped.' },
    ]);
    expect(turn.texts).toEqual(['It has shipped.']);
    expect(promptText(model)).toEqual([
      { role: 'system', text: 'Be brief.' },
      { role: 'user', text: 'hi' },
      { role: 'assistant', text: 'hello!' },
      { role: 'user', text: 'where is 5521?' },
    ]);
    expect(turn.state.snapshot()).toEqual({});
  });

  it('on the bot path collects one reply and keeps the exchange in conversation state for the next turn', async () => {
    const model = new MockLanguageModelV4({ doStream: [textAnswer('Hello Ana.'), textAnswer('You are Ana.')] });
    const { responder, spent } = setup(model);
    const first = await runTurn(responder, buildEvent({ text: 'I am Ana', sender: 'ana' }));
    expect(first.texts).toEqual(['Hello Ana.']);
    expect(first.state.snapshot()[HISTORY_FIELD]).toEqual([
      { ids: [expect.any(String)], user: [{ text: 'I am Ana', sender: 'ana' }], assistant: 'Hello Ana.' },
    ]);

    await runTurn(responder, buildEvent({ text: 'who am I?', sender: 'ana' }), { state: first.state });
    expect(promptText(model, 1).slice(1)).toEqual([
      { role: 'user', text: 'I am Ana' },
      { role: 'assistant', text: 'Hello Ana.' },
      { role: 'user', text: 'who am I?' },
    ]);
    expect(spent.spent.get('ana')).toBe(20); // two calls of 7 + 3 tokens
  });

  it('answers a coalesced burst once, every message in the prompt and in memory, senders named in groups', async () => {
    const model = new MockLanguageModelV4({ doStream: [textAnswer('Both noted.')] });
    const { responder } = setup(model);
    expect(responderOptionsOf(responder)).toMatchObject({ coalesce: true });
    const router = new ResponderRouter([{ options: responderOptionsOf(responder)!, instance: responder }], { timeoutMs: 5000 });
    const first = buildEvent({ text: 'first thing', sender: 'ana', senderName: 'Ana', group: 'team', mention: true });
    const second = buildEvent({ text: 'second thing', sender: 'ben', senderName: 'Ben', group: 'team', mention: true });
    const state = new InMemoryConversationState();
    const { replies } = await router.respond(second, state, { batch: [first, second] });

    expect(replies.map((r) => r.data.text)).toEqual(['Both noted.']);
    expect(promptText(model).slice(1)).toEqual([
      { role: 'user', text: 'Ana: first thing' },
      { role: 'user', text: 'Ben: second thing' },
    ]);
    expect(promptText(model)[0].text).toMatch(/group chat/);
    expect(state.snapshot()[HISTORY_FIELD]).toEqual([
      {
        ids: [first.id, second.id],
        user: [
          { text: 'first thing', sender: 'Ana' },
          { text: 'second thing', sender: 'Ben' },
        ],
        assistant: 'Both noted.',
      },
    ]);
  });

  it('answers the limit text without calling the model once the budget is spent', async () => {
    const model = new MockLanguageModelV4({ doStream: [textAnswer('never')] });
    const { responder, spent } = setup(model);
    spent.spent.set('ana', 100);
    const turn = await runTurn(responder, buildEvent({ text: 'one more', sender: 'ana' }));
    expect(turn.texts).toEqual(['Daily limit reached.']);
    expect(model.doStreamCalls).toHaveLength(0);
  });

  it('takes text, never slash commands, and in groups what GROUP_CHAT_SETTING lets it', () => {
    const { responder } = setup(new MockLanguageModelV4());
    expect(responder.match(buildEvent({ text: 'hello' }))).toBe(true);
    expect(responder.match(buildEvent({ text: '/unknown' }))).toBe(false);
    expect(responder.match(buildEvent({ text: 'hello all', group: 'team' }))).toBe(false);
    expect(responder.match(buildEvent({ text: 'hello bot', group: 'team', mention: true }))).toBe(true);
  });

  it('throws a model error out of the turn, so that the queue retries it', async () => {
    const model = new MockLanguageModelV4({
      doStream: async () => {
        throw new Error('model unavailable');
      },
    });
    const { responder } = setup(model);
    await expect(runTurn(responder, buildEvent({ text: 'hello' }))).rejects.toThrow('model unavailable');
  });
});
