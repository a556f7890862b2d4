import { HttpAgent } from '@ag-ui/client';
import { EventType, type BaseEvent, type Message } from '@ag-ui/core';
import { Module } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { z } from 'zod';
import { RESPONDER_FAILED } from '../src/agents/ag-ui-events';
import { LlmTool, LlmToolContext, LlmToolProvider } from '../src/llm';
import { HISTORY_FIELD } from '../src/llm/llm-memory';
import { launchChromium } from './support/browser';
import { FakeCometChat } from './support/fake-cometchat';
import { contentOf, defaultAnswer, FakeModelServer, Gate } from './support/fake-openai';
import { fixture } from './support/fixtures';
import { Scrape } from './support/prometheus-text';
import { BOT_UID, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const TOKEN = 'agent-llm-e2e-token-0123456789';
const LIMIT = "You have used up today's AI answers.";

/** A team's tool, as src/bot/ would register one; records what it was called with and for whom. */
const weatherCalls: Array<{ city: string; uid: string }> = [];
const weatherInput = z.object({ city: z.string() });
@LlmTool({ name: 'weather', description: "Today's weather in a city", inputSchema: weatherInput })
class WeatherTool implements LlmToolProvider<z.infer<typeof weatherInput>> {
  execute({ city }: z.infer<typeof weatherInput>, { event }: LlmToolContext) {
    weatherCalls.push({ city, uid: event.sender.uid });
    return { city, forecast: 'sunny, 21 °C' };
  }
}

@Module({ providers: [WeatherTool] })
class TeamToolsModule {}

const user = (content: string): Message => ({ id: randomUUID(), role: 'user', content });
const contents = (events: BaseEvent[]) => events.filter((e) => e.type === EventType.TEXT_MESSAGE_CONTENT).map((e: any) => e.delta as string);

/** The LLM responder (LLM_MODEL, fake model server) behind both paths of one app: AG-UI and the bot callback. */
describe('the LLM responder on the AI Agent (AG-UI) path', () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  let app: TestApp;
  let url: string;

  const scrape = async () => new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body);
  const day = () => new Date().toISOString().slice(0, 10);

  const agentFor = (messages: Message[], threadId: string = randomUUID()) =>
    new HttpAgent({ url: `${url}/agents/ag-ui`, headers: { Authorization: `Bearer ${TOKEN}` }, threadId, initialMessages: messages });

  /** A run through the real client; `events` fills as they arrive, `done` settles when the stream ends. */
  function start(agent: HttpAgent, uid: string) {
    const events: BaseEvent[] = [];
    let failure: unknown;
    const done = agent
      .runAgent({ runId: randomUUID(), forwardedProps: { user: { uid, name: uid } } }, { onEvent: ({ event }) => void events.push(event) })
      .then(
        () => undefined,
        (error) => void (failure = error),
      );
    return { events, done, types: () => events.map((e) => e.type), failure: () => failure };
  }

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    app = await TestApp.start(
      'agent-llm',
      {
        APP_ROLE: 'all',
        COMETCHAT_API_URL: cometchat.url,
        AGENT_TOKEN: TOKEN,
        SANDBOX_UI: 'true',
        LLM_MODEL: 'fake-model',
        LLM_BASE_URL: model.url,
        LLM_API_KEY: 'model-key',
        LLM_SYSTEM_PROMPT: 'You are the test agent.',
        LLM_DAILY_TOKENS_PER_USER: '40',
        LLM_LIMIT_TEXT: LIMIT,
        EVENTS_ATTEMPTS: '3',
        RETRY_BACKOFF_MS: '50',
        RETRY_BACKOFF_MAX_MS: '100',
        RESPONDER_TIMEOUT_MS: '20000',
      },
      [TeamToolsModule],
    );
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    url = await app.app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    await model?.stop();
    await cometchat?.stop();
  });
  beforeEach(() => {
    model.answer = defaultAnswer;
  });

  it("streams the model's chunks as TEXT_MESSAGE_CONTENT events as they come, and counts the tokens", async () => {
    const gate = new Gate();
    model.answer = () => ({ text: '', pieces: ['Hel', 'lo, ', 'wor', 'ld'], gate: gate.opened });
    const before = (await scrape()).count('cometchat_bot_llm_tokens_total', { bot: BOT_UID, kind: 'input' });
    const agent = agentFor([user('say hello')]);
    const run = start(agent, 'agent-ana');

    // The first delta is at the client while the model server still holds the rest back.
    await waitFor('the first delta at the client', () => contents(run.events).length === 1);
    const [request] = model.about('say hello');
    expect(request.sent).toBe(1);
    expect(contents(run.events)).toEqual(['Hel']);
    expect(run.types()).not.toContain(EventType.RUN_FINISHED);

    gate.release();
    await run.done;
    expect(run.failure()).toBeUndefined();
    expect(contents(run.events)).toEqual(['Hel', 'lo, ', 'wor', 'ld']);
    expect(run.types()).toEqual([
      EventType.RUN_STARTED,
      EventType.TEXT_MESSAGE_START,
      ...Array(4).fill(EventType.TEXT_MESSAGE_CONTENT),
      EventType.TEXT_MESSAGE_END,
      EventType.RUN_FINISHED,
    ]);
    expect(new Set(run.events.filter((e) => e.type === EventType.TEXT_MESSAGE_CONTENT).map((e: any) => e.messageId)).size).toBe(1);
    expect(agent.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Hello, world' });

    // The request is the LLM responder's: system prompt, the user's text, streaming, the team's tool offered.
    expect(request.body).toMatchObject({ model: 'fake-model', stream: true });
    expect(request.body.messages).toEqual([
      { role: 'system', content: 'You are the test agent.' },
      { role: 'user', content: 'say hello' },
    ]);
    expect(request.body.tools.map((t: any) => t.function.name)).toContain('weather');

    // The daily budget and the metrics count the agent path's tokens too, for the sender forwardedProps names.
    expect(await app.redis().get(`${app.prefix}:llm:tokens:${day()}:agent-ana`)).toBe('15');
    const after = await scrape();
    expect(after.count('cometchat_bot_llm_tokens_total', { bot: BOT_UID, kind: 'input' }) - before).toBe(10);
    expect(after.count('cometchat_bot_llm_call_duration_seconds_count', { bot: BOT_UID, outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('shows a tool round trip as TOOL_CALL_START/ARGS/END and TOOL_CALL_RESULT, then the final text', async () => {
    model.answer = (body) =>
      body.messages.at(-1).role === 'tool' ? defaultAnswer(body) : { toolCall: { name: 'weather', args: { city: 'Paris' } } };
    weatherCalls.length = 0;
    const agent = agentFor([user('weather in Paris?')]);
    const run = start(agent, 'agent-tools');
    await run.done;

    expect(run.failure()).toBeUndefined();
    expect(run.types()).toEqual([
      EventType.RUN_STARTED,
      EventType.TOOL_CALL_START,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_END,
      EventType.TOOL_CALL_RESULT,
      EventType.TEXT_MESSAGE_START,
      ...contents(run.events).map(() => EventType.TEXT_MESSAGE_CONTENT),
      EventType.TEXT_MESSAGE_END,
      EventType.RUN_FINISHED,
    ]);
    const [startEvent, argsEvent, endEvent, resultEvent] = run.events.slice(1, 5) as any[];
    const [first, second] = model.about('weather in Paris?');
    const toolCallId = second.body.messages.at(-2).tool_calls[0].id;
    expect(startEvent).toMatchObject({ toolCallId, toolCallName: 'weather' });
    expect(JSON.parse(argsEvent.delta)).toEqual({ city: 'Paris' });
    expect(endEvent).toMatchObject({ toolCallId });
    expect(resultEvent).toMatchObject({ toolCallId, role: 'tool' });
    expect(JSON.parse(resultEvent.content)).toEqual({ city: 'Paris', forecast: 'sunny, 21 °C' });

    // The tool ran once, for the agent path's sender; its result went back to the model, whose answer is the text.
    expect(weatherCalls).toEqual([{ city: 'Paris', uid: 'agent-tools' }]);
    expect(first.body.messages.at(-1).role).toBe('user');
    const toolMessage = second.body.messages.at(-1);
    expect(JSON.parse(contentOf(toolMessage))).toEqual({ city: 'Paris', forecast: 'sunny, 21 °C' });
    expect(contents(run.events).join('')).toBe(`the tool said ${contentOf(toolMessage)}`);
    expect(agent.messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          role: 'assistant',
          toolCalls: [expect.objectContaining({ id: toolCallId, function: { name: 'weather', arguments: '{"city":"Paris"}' } })],
        }),
        expect.objectContaining({ role: 'assistant', content: `the tool said ${contentOf(toolMessage)}` }),
      ]),
    );
  });

  it("sends the thread's earlier messages to the model as prior turns, without the bot path's memory", async () => {
    // The same person talked to the bot over the callback first: the bot path remembers that in its state.
    const uid = 'agent-rita';
    const callback = fixture('user-text');
    callback.data.sender = uid;
    callback.data.data.entities.sender.entity.uid = uid;
    callback.data.data.text = 'my bot-path secret is 42';
    await app.post(callback);
    await waitFor('the bot-path answer', () => cometchat.calls.some((c) => c.body?.receiver === uid && c.answer === 200));
    const botState = `${app.prefix}:state:user-${uid}`;
    expect(await app.redis().hget(botState, HISTORY_FIELD)).toContain('bot-path secret');

    // Now a thread on the agent path, whose id is the user's UID too: only the thread counts.
    const thread: Message[] = [
      { id: randomUUID(), role: 'system', content: 'CometChat says hi.' },
      user('my name is Rita'),
      { id: randomUUID(), role: 'assistant', content: 'Nice to meet you, Rita.' },
      user('what is my name?'),
    ];
    const run = start(agentFor(thread, uid), uid);
    await run.done;
    expect(run.types().at(-1)).toBe(EventType.RUN_FINISHED);

    const [request] = model.about('what is my name?');
    expect(request.body.messages).toEqual([
      { role: 'system', content: 'You are the test agent.' },
      { role: 'user', content: 'my name is Rita' },
      { role: 'assistant', content: 'Nice to meet you, Rita.' },
      { role: 'user', content: 'what is my name?' },
    ]);
    // The agent path keeps no memory of its own either: the thread carries it.
    expect(await app.redis().hget(`${app.prefix}:state:user-ag-ui:${uid}`, HISTORY_FIELD)).toBeNull();
  });

  it("answers docs/ai-and-agents.md's curl example: SSE `data:` lines, the thread as the model's history", async () => {
    const page = readFileSync(join(__dirname, '..', 'docs', 'ai-and-agents.md'), 'utf8');
    const body = /curl -N [^\n]*\/agents\/ag-ui[^]*?-d '([^']+)'/.exec(page)![1];
    model.answer = () => ({ text: '', pieces: ['Your name ', 'is Rita.'] });
    const response = await fetch(`${url}/agents/ag-ui`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const blocks = (await response.text()).split('\n\n').filter(Boolean);
    for (const block of blocks) expect(block).toMatch(/^data: \{/);
    const events = blocks.map((block) => JSON.parse(block.slice('data: '.length)));
    expect(events.map((e) => e.type)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    expect(events[0]).toEqual({ type: 'RUN_STARTED', threadId: 't-1', runId: 'r-1' });
    expect(events.at(-1)).toEqual({ type: 'RUN_FINISHED', threadId: 't-1', runId: 'r-1' });
    const [request] = model.about('What is my name?');
    expect(request.body.messages.slice(1).map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(await app.redis().get(`${app.prefix}:llm:tokens:${day()}:rita`)).toBe('15');
  });

  it('past the daily token budget, answers the limit text as one message without calling the model', async () => {
    await app.redis().set(`${app.prefix}:llm:tokens:${day()}:agent-spender`, '40');
    const refusals = (await scrape()).count('cometchat_bot_llm_budget_refusals_total', { bot: BOT_UID });
    const run = start(agentFor([user('one more please')]), 'agent-spender');
    await run.done;
    expect(contents(run.events)).toEqual([LIMIT]);
    expect(run.types().at(-1)).toBe(EventType.RUN_FINISHED);
    expect(model.about('one more please')).toHaveLength(0);
    expect((await scrape()).count('cometchat_bot_llm_budget_refusals_total', { bot: BOT_UID }) - refusals).toBe(1);
  });

  it('ends the run with RUN_ERROR when the model fails (500), once, without retrying, and closes the stream', async () => {
    model.answer = () => ({ status: 500 });
    const errors = (await scrape()).count('cometchat_bot_llm_call_duration_seconds_count', { bot: BOT_UID, outcome: 'error' });
    const run = start(agentFor([user('are you there?')]), 'agent-broken');
    await run.done; // the stream ended: no hang
    expect(run.types()).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
    expect(run.events.at(-1)).toMatchObject({ code: 'RESPONDER_ERROR', message: RESPONDER_FAILED });
    expect(JSON.stringify(run.events)).not.toContain('fake model error');
    expect(model.about('are you there?')).toHaveLength(1);
    expect((await scrape()).count('cometchat_bot_llm_call_duration_seconds_count', { bot: BOT_UID, outcome: 'error' }) - errors).toBe(1);

    // Nothing was queued to retry it later: the next run of the thread is the only way to ask again.
    expect((await app.jobs('events')).filter((job) => job.data.data?.sender === 'agent-broken')).toHaveLength(0);
    model.answer = defaultAnswer;
    await start(agentFor([user('still there?')]), 'agent-broken').done;
    expect(model.about('are you there?')).toHaveLength(1);
  });

  it('ends a stream the model breaks mid-answer with RUN_ERROR after the text already sent', async () => {
    const gate = new Gate();
    model.answer = () => ({ text: '', pieces: ['Half an ', 'answer'], gate: gate.opened, cutAfterFirst: true });
    const run = start(agentFor([user('break halfway')]), 'agent-half');
    await waitFor('the first delta', () => contents(run.events).length === 1);
    gate.release(); // now the model server cuts the connection
    await run.done;
    expect(run.types()).toEqual([EventType.RUN_STARTED, EventType.TEXT_MESSAGE_START, EventType.TEXT_MESSAGE_CONTENT, EventType.RUN_ERROR]);
    expect(contents(run.events)).toEqual(['Half an ']);
    expect(run.events.at(-1)).toMatchObject({ code: 'RESPONDER_ERROR' });
    expect(model.about('break halfway')).toHaveLength(1);
  });

  it('aborts the model call when the client goes away mid-stream: the model server sees its connection closed', async () => {
    const never = new Gate(); // never opened: the model would hold the rest back for ever
    model.answer = () => ({ text: '', pieces: ['Thinking', ' very hard'], gate: never.opened });
    const aborted = (await scrape()).count('cometchat_bot_llm_call_duration_seconds_count', { bot: BOT_UID, outcome: 'aborted' });
    const agent = agentFor([user('think forever')]);
    const run = start(agent, 'agent-leaver');
    await waitFor('the first delta', () => contents(run.events).length === 1);
    const [request] = model.about('think forever');
    expect(request.abandoned).toBe(false);

    agent.abortRun();
    await waitFor('the model request to be closed by the service', () => request.abandoned);
    await run.done;
    expect(run.types()).not.toContain(EventType.RUN_FINISHED);
    await waitFor(
      'the aborted call in the metrics',
      async () => (await scrape()).count('cometchat_bot_llm_call_duration_seconds_count', { bot: BOT_UID, outcome: 'aborted' }) > aborted,
    );
  });

  it('serves the bot path with the same responder: the streamed chunks are sent as one CometChat message', async () => {
    model.answer = () => ({ text: '', pieces: ['One ', 'responder, ', 'both ', 'paths.'] });
    const uid = 'agent-bot-path';
    const callback = fixture('user-text');
    callback.data.sender = uid;
    callback.data.data.entities.sender.entity.uid = uid;
    callback.data.data.text = 'which path is this?';
    expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
    await waitFor('the reply', () => cometchat.calls.some((c) => c.body?.receiver === uid && c.answer === 200));
    const sent = cometchat.calls.filter((c) => c.body?.receiver === uid);
    expect(sent.map((c) => c.body.data.text)).toEqual(['One responder, both paths.']);
    expect(model.about('which path is this?')).toHaveLength(1);
  });

  describe('on the sandbox page, AI Agent (AG-UI) tab, in a browser', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser?.close());

    it("shows the model's first delta before the model server releases the rest", async () => {
      const gate = new Gate();
      model.answer = () => ({ text: '', pieces: ['The model ', 'streams ', 'into the page.'], gate: gate.opened });
      const page = await browser.newPage();
      await page.goto(`${url}/sandbox`);
      await page.click('#tab-agent');
      await page.fill('#agent-token', TOKEN);
      await page.fill('#agent-text', 'stream into the page');
      await page.click('#agent-send');

      const bubble = page.locator('#agent-messages .message.bot .bubble.streaming', { hasText: 'The model' });
      await bubble.waitFor();
      const [request] = model.about('stream into the page');
      expect(request.sent).toBe(1);
      expect(await bubble.textContent()).toBe('The model ');
      expect(await page.locator('#agent-status').getAttribute('data-state')).toBe('streaming');

      gate.release();
      await page.locator('#agent-messages .message.bot .bubble:not(.streaming)', { hasText: 'The model streams into the page.' }).waitFor();
      await page.locator('#agent-status[data-state="finished"]').waitFor();
      await page.screenshot({ path: '/tmp/agent-llm-sandbox-tab.png', fullPage: true });
    });
  });
});
