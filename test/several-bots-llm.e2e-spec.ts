import { FakeCometChat } from './support/fake-cometchat';
import { contentOf, FakeModelServer } from './support/fake-openai';
import { basicAuthOf, botCallback, NO_SINGLE_BOT, writeBotsFile } from './support/several-bots';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const LIMIT = "You've reached today's limit for AI answers. Please try again tomorrow.";

/**
 * The LLM responder runs as each bot: the environment's LLM_* settings, under a bot's own `llm` (model, system prompt,
 * daily budget); a user's budget and memory are per bot.
 */
describe('several bots: the LLM responder per bot', () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  let file: ReturnType<typeof writeBotsFile>;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    file = writeBotsFile(`apps:
  main: { appId: "e2e-main", region: us, apiKey: "e2e-llm-bots-key", apiUrl: "${cometchat.url}" }
bots:
  - { uid: support-bot, app: main, webhook: { username: cometchat, password: "e2e-llm-support-password" } }
  - uid: sales-bot
    app: main
    webhook: { username: cometchat, password: "e2e-llm-sales-password" }
    llm: { model: sales-model, systemPrompt: "You sell things.", dailyTokensPerUser: 10 }
`);
    app = await TestApp.start('several-bots-llm', {
      ...NO_SINGLE_BOT,
      BOTS_FILE: file.path,
      ECHO_ENABLED: 'false',
      LLM_MODEL: 'default-model',
      LLM_BASE_URL: model.url,
      LLM_API_KEY: 'model-key',
      LLM_SYSTEM_PROMPT: 'You support people.',
      LLM_DAILY_TOKENS_PER_USER: '1000',
      LLM_MAX_OUTPUT_TOKENS: '5',
    });
  });
  afterAll(async () => {
    await app?.close();
    await model?.stop();
    await cometchat?.stop();
    file?.remove();
  });

  const post = (bot: string, text: string) =>
    app.app.inject({
      method: 'POST',
      url: `/webhooks/cometchat/${bot}`,
      headers: { authorization: basicAuthOf('cometchat', `e2e-llm-${bot.split('-')[0]}-password`), 'content-type': 'application/json' },
      payload: JSON.stringify(botCallback(bot, text, { sender: 'ana' })),
    });
  const answersTo = (bot: string) =>
    cometchat.calls
      .filter((call) => call.method === 'POST' && call.path === `/v3/bots/${bot}/messages` && call.answer === 200)
      .map((call) => call.body.data.text as string);
  const systemOf = (request: { body: any }) => contentOf(request.body.messages.find((m: any) => m.role === 'system'));

  it("calls each bot's model with its system prompt, the environment's where the bot has none", async () => {
    expect((await post('support-bot', 'help me please')).statusCode).toBe(200);
    await waitFor('the support bot answers', () => answersTo('support-bot').length >= 1);
    // ana spent 15 tokens with the support bot, more than the sales bot's whole budget: that is not the sales bot's count.
    expect((await post('sales-bot', 'what does it cost')).statusCode).toBe(200);
    await waitFor('the sales bot answers', () => answersTo('sales-bot').length >= 1);
    expect(answersTo('sales-bot')).toEqual(['model says: what does it cost']);

    const [support] = model.about('help me please');
    expect(support.body.model).toBe('default-model');
    expect(systemOf(support)).toBe('You support people.');
    const [sales] = model.about('what does it cost');
    expect(sales.body.model).toBe('sales-model');
    expect(systemOf(sales)).toBe('You sell things.');
  });

  it("spends a user's budget per bot: spent with one bot, the other still answers", async () => {
    // The sales bot's budget of 10 tokens a day is spent by the first answer (the fake bills 15).
    await waitFor('the first sales answer', () => answersTo('sales-bot').length >= 1);
    expect((await post('sales-bot', 'and now?')).statusCode).toBe(200);
    await waitFor('the sales bot says its limit', () => answersTo('sales-bot').includes(LIMIT));
    expect((await post('support-bot', 'still there?')).statusCode).toBe(200);
    await waitFor('the support bot answers from the model', () => answersTo('support-bot').length >= 2);
    expect(answersTo('support-bot')).not.toContain(LIMIT);
    expect(model.about('still there?')).toHaveLength(1);
  });
});
