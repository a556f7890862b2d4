import { Module } from '@nestjs/common';
import { z } from 'zod';
import { LlmTool, LlmToolProvider } from '../src/llm';
import { ExampleRespondersModule } from '../src/responders/examples/example-responders.module';
import { FakeCometChat, RecordedCall } from './support/fake-cometchat';
import { contentOf, defaultAnswer, FakeModelServer } from './support/fake-openai';
import { directText, fixture } from './support/fixtures';
import { Scrape } from './support/prometheus-text';
import { BOT_UID, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** A team's tool, registered in a test module the way src/bot/ registers one. */
const weatherCalls: unknown[] = [];
const weatherInput = z.object({ city: z.string() });
@LlmTool({ name: 'weather', description: "Today's weather in a city", inputSchema: weatherInput })
class WeatherTool implements LlmToolProvider<z.infer<typeof weatherInput>> {
  execute({ city }: z.infer<typeof weatherInput>) {
    weatherCalls.push({ city });
    return { city, forecast: 'sunny, 21 °C' };
  }
}

@Module({ providers: [WeatherTool] })
class TeamToolsModule {}

const APOLOGY = 'Sorry, something went wrong on my side.';
const LIMIT = "You have used up today's AI answers.";

const textsTo = (calls: RecordedCall[], receiver: string) =>
  calls.filter((c) => c.body.receiver === receiver && c.answer === 200).map((c) => c.body.data.text);

const direct = directText;

const inGroup = (text: string, group: string, sender: string, name: string) => {
  const callback = fixture('group-mention');
  callback.data.receiver = group;
  callback.data.sender = sender;
  callback.data.data.entities.sender.entity = { uid: sender, name };
  callback.data.data.text = `<@uid:support-bot> ${text}`;
  return callback;
};

describe('the LLM responder, end to end (fake OpenAI-compatible server)', () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  let app: TestApp;

  const llmEnv = () => ({
    COMETCHAT_API_URL: cometchat.url,
    LLM_MODEL: 'fake-model',
    LLM_BASE_URL: model.url,
    LLM_API_KEY: 'model-key',
    LLM_SYSTEM_PROMPT: 'You are the test bot.',
    LLM_DAILY_TOKENS_PER_USER: '40',
    LLM_LIMIT_TEXT: LIMIT,
    APOLOGY_TEXT: APOLOGY,
    EVENTS_ATTEMPTS: '3',
    RETRY_BACKOFF_MS: '50',
    RETRY_BACKOFF_MAX_MS: '100',
    RESPONDER_TIMEOUT_MS: '3000',
    LLM_TIMEOUT_MS: '1000',
  });

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    app = await TestApp.start('llm', llmEnv(), [TeamToolsModule, ExampleRespondersModule]);
  });
  afterAll(async () => {
    await app?.close();
    await model.stop();
    await cometchat.stop();
  });
  beforeEach(() => {
    model.answer = defaultAnswer;
  });

  it("answers a one-to-one text with the model's streamed answer, and counts the tokens", async () => {
    await app.post(direct('what is a webhook?', 'llm-ana'));
    await waitFor('the answer', () => textsTo(cometchat.calls, 'llm-ana').length === 1);
    expect(textsTo(cometchat.calls, 'llm-ana')).toEqual(['model says: what is a webhook?']);

    const [request] = model.about('what is a webhook?');
    expect(request.headers.authorization).toBe('Bearer model-key');
    expect(request.body).toMatchObject({ model: 'fake-model', stream: true, max_tokens: 1024 });
    expect(request.body.messages[0]).toEqual({ role: 'system', content: 'You are the test bot.' });
    expect(request.body.messages.at(-1)).toMatchObject({ role: 'user', content: 'what is a webhook?' });
    // The team's tool is offered to the model.
    expect(request.body.tools.map((t: any) => t.function.name)).toContain('weather');

    // The day's budget counter holds the call's total; the metrics have it too.
    const day = new Date().toISOString().slice(0, 10);
    expect(await app.redis().get(`${app.prefix}:llm:tokens:${day}:llm-ana`)).toBe('15');
    const scrape = new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(scrape.count('cometchat_bot_llm_tokens_total', { bot: BOT_UID, kind: 'input' })).toBeGreaterThanOrEqual(10);
    expect(scrape.count('cometchat_bot_llm_tokens_total', { bot: BOT_UID, kind: 'output' })).toBeGreaterThanOrEqual(5);
    expect(scrape.count('cometchat_bot_llm_call_duration_seconds_count', { bot: BOT_UID, outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('leaves what other responders take to them: FAQ and commands win by priority', async () => {
    const before = model.requests.length;
    await app.post(direct('what are your opening hours?', 'llm-faq'));
    await app.post(direct('/help', 'llm-faq'));
    await waitFor('two answers', () => textsTo(cometchat.calls, 'llm-faq').length === 2);
    expect(textsTo(cometchat.calls, 'llm-faq')[0]).toMatch(/^We're open Monday/);
    expect(textsTo(cometchat.calls, 'llm-faq')[1]).toMatch(/^Commands:/);
    expect(model.requests.length).toBe(before);
  });

  it("calls a team's tool with the model's arguments and gives its result back to the model", async () => {
    model.answer = (body) =>
      body.messages.at(-1).role === 'tool' ? defaultAnswer(body) : { toolCall: { name: 'weather', args: { city: 'Paris' } } };
    weatherCalls.length = 0;
    await app.post(direct('weather in Paris?', 'llm-tool-user'));
    await waitFor('the answer', () => textsTo(cometchat.calls, 'llm-tool-user').length === 1);

    expect(weatherCalls).toEqual([{ city: 'Paris' }]);
    const [first, second] = model.about('weather in Paris?');
    expect(first.body.messages.at(-1).role).toBe('user');
    const assistant = second.body.messages.at(-2);
    expect(assistant.tool_calls[0].function).toEqual({ name: 'weather', arguments: '{"city":"Paris"}' });
    const toolMessage = second.body.messages.at(-1);
    expect(toolMessage).toMatchObject({ role: 'tool', tool_call_id: assistant.tool_calls[0].id });
    expect(JSON.parse(contentOf(toolMessage))).toEqual({ city: 'Paris', forecast: 'sunny, 21 °C' });
    expect(textsTo(cometchat.calls, 'llm-tool-user')).toEqual([`the tool said ${contentOf(toolMessage)}`]);
  });

  it("remembers the conversation: the next request carries the earlier exchange, with senders' names in groups", async () => {
    await app.post(inGroup('my name is Rita', 'llm-room', 'llm-rita', 'Rita'));
    await waitFor('the first answer', () => textsTo(cometchat.calls, 'llm-room').length === 1);
    await app.post(inGroup('and what is mine?', 'llm-room', 'llm-sam', 'Sam'));
    await waitFor('the second answer', () => textsTo(cometchat.calls, 'llm-room').length === 2);

    const [second] = model.about('and what is mine?');
    expect(second.body.messages.slice(1)).toEqual([
      { role: 'user', content: 'Rita: my name is Rita' },
      { role: 'assistant', content: 'model says: Rita: my name is Rita' },
      { role: 'user', content: 'Sam: and what is mine?' },
    ]);
    expect(contentOf(second.body.messages[0])).toMatch(/group chat/);
  });

  it('past the daily token budget, answers the limit message without calling the model', async () => {
    const day = new Date().toISOString().slice(0, 10);
    await app.redis().set(`${app.prefix}:llm:tokens:${day}:llm-spender`, '40');
    await app.post(direct('one more question', 'llm-spender'));
    await waitFor('the limit message', () => textsTo(cometchat.calls, 'llm-spender').length === 1);
    expect(textsTo(cometchat.calls, 'llm-spender')).toEqual([LIMIT]);
    expect(model.about('one more question')).toHaveLength(0);
  });

  it('retries the turn after a 429 from the model, then answers', async () => {
    model.answer = (body) => (model.about('busy?').length === 1 ? { status: 429, headers: { 'retry-after': '0' } } : defaultAnswer(body));
    const callback = direct('busy?', 'llm-retry');
    await app.post(callback);
    await waitFor('the answer', () => textsTo(cometchat.calls, 'llm-retry').length === 1);
    expect(textsTo(cometchat.calls, 'llm-retry')).toEqual(['model says: busy?']);
    // The SDK did not retry by itself: one request per attempt of the turn.
    expect(model.about('busy?')).toHaveLength(2);
    const job = (await app.jobs('events')).find((j) => j.data.data.id === callback.data.id)!;
    expect(job.attemptsMade).toBe(2);
  });

  it("waits out a 429's Retry-After before the turn's next try, not only the (50 ms) backoff", async () => {
    model.answer = (body) => (model.about('rate limited?').length === 1 ? { status: 429, headers: { 'retry-after': '1' } } : defaultAnswer(body));
    await app.post(direct('rate limited?', 'llm-retry-after'));
    await waitFor('the answer', () => textsTo(cometchat.calls, 'llm-retry-after').length === 1);
    const [first, second] = model.about('rate limited?');
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
  });

  it('after a model 500 on every attempt, says APOLOGY_TEXT once', async () => {
    model.answer = () => ({ status: 500 });
    await app.post(direct('are you there?', 'llm-broken'));
    await waitFor('the apology', () => textsTo(cometchat.calls, 'llm-broken').length === 1);
    expect(model.about('are you there?')).toHaveLength(3); // EVENTS_ATTEMPTS
    // Nothing more comes: the turn is over.
    await waitFor('the events job to fail for good', async () =>
      (await app.jobs('events')).some((j) => j.data.data.sender === 'llm-broken' && j.finishedOn && j.failedReason),
    );
    expect(textsTo(cometchat.calls, 'llm-broken')).toEqual([APOLOGY]);
  });

  it('gives a model that did not answer within LLM_TIMEOUT_MS another try, like a model error: the answer follows, no apology', async () => {
    // The first request hangs (it is already recorded when answered), the retry's is answered.
    model.answer = (body) => (model.about('slow at first').length === 1 ? { hang: true } : defaultAnswer(body));
    await app.post(direct('slow at first', 'llm-slow-once'));
    await waitFor('the answer', () => textsTo(cometchat.calls, 'llm-slow-once').length === 1);
    const [first, second] = model.about('slow at first');
    expect(first.abandoned).toBe(true);
    expect(second).toBeDefined();
    expect(textsTo(cometchat.calls, 'llm-slow-once')).not.toContain(APOLOGY);
  });

  it('aborts the model request when the model keeps not answering, then apologises once the attempts are spent', async () => {
    model.answer = () => ({ hang: true });
    await app.post(direct('think very hard', 'llm-slow'));
    const [request] = await waitFor('the model request', () => model.about('think very hard').length && model.about('think very hard'));
    await waitFor('the connection closed by the service', () => request.abandoned, { timeoutMs: 10_000 });
    await waitFor('the apology', () => textsTo(cometchat.calls, 'llm-slow').length === 1);
    expect(textsTo(cometchat.calls, 'llm-slow')).toEqual([APOLOGY]);
  });

  it('is off without LLM_MODEL: the echo answers and no model is called', async () => {
    const { LLM_MODEL, ...withoutModel } = llmEnv();
    const off = await TestApp.start('llm-off', withoutModel, [TeamToolsModule]);
    try {
      await off.post(direct('anyone there?', 'llm-off-user'));
      await waitFor('the echo', () => textsTo(cometchat.calls, 'llm-off-user').length === 1);
      expect(textsTo(cometchat.calls, 'llm-off-user')).toEqual(['anyone there?']);
      expect(model.about('anyone there?')).toHaveLength(0);
    } finally {
      await off.close();
    }
  });

  describe('with LLM_STREAMING=false', () => {
    let plain: TestApp;
    beforeAll(async () => {
      plain = await TestApp.start('llm-plain', { ...llmEnv(), LLM_STREAMING: 'false' }, [TeamToolsModule]);
    });
    afterAll(() => plain?.close());

    it('makes non-streaming calls, a tool round trip included', async () => {
      model.answer = (body) =>
        body.messages.at(-1).role === 'tool' ? defaultAnswer(body) : { toolCall: { name: 'weather', args: { city: 'Oslo' } } };
      weatherCalls.length = 0;
      await plain.post(direct('weather in Oslo?', 'llm-plain-user'));
      await waitFor('the answer', () => textsTo(cometchat.calls, 'llm-plain-user').length === 1);

      const requests = model.about('weather in Oslo?');
      expect(requests).toHaveLength(2);
      for (const { body } of requests) expect(body.stream).toBeFalsy();
      expect(weatherCalls).toEqual([{ city: 'Oslo' }]);
      expect(requests[1].body.messages.at(-1).role).toBe('tool');
      expect(textsTo(cometchat.calls, 'llm-plain-user')).toEqual([`the tool said ${contentOf(requests[1].body.messages.at(-1))}`]);
    });
  });
});
