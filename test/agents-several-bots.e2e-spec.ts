import { HttpAgent } from '@ag-ui/client';
import { EventType, type BaseEvent, type Message } from '@ag-ui/core';
import { Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { conversationKey } from '../src/messages';
import { Responder, type ResponderContext, type ResponderStreamPart } from '../src/responders';
import { NO_SINGLE_BOT, writeBotsFile } from './support/several-bots';
import { TestApp } from './support/test-app';

const SUPPORT_TOKEN = 'support-agent-token-0123456789';
const SALES_TOKEN = 'sales-agent-token-0123456789';

/** What the turn was, said back: whose event, which conversation, how many turns its state has seen. */
async function turnReport({ event, state }: ResponderContext): Promise<string> {
  const turn = ((await state.get<number>('turns')) ?? 0) + 1;
  await state.set('turns', turn);
  return `"${event.text}" for ${event.bot} in ${conversationKey(event.conversation)}, turn ${turn}`;
}

/** support-bot's only responder (BOTS_FILE `responders`): answers in one piece. */
@Responder({ name: 'support-desk', priority: 10 })
class SupportDeskResponder {
  async respond(ctx: ResponderContext) {
    return { category: 'message' as const, type: 'text', data: { text: `support-desk: ${await turnReport(ctx)}` } };
  }
}

/** sales-bot's only responder: streams its answer, as a model would. */
@Responder({ name: 'sales-desk', priority: 10 })
class SalesDeskResponder {
  async *respond(ctx: ResponderContext): AsyncIterable<ResponderStreamPart> {
    yield 'sales-desk: ';
    yield await turnReport(ctx);
  }
}

@Module({ providers: [SupportDeskResponder, SalesDeskResponder] })
class DesksModule {}

/** ops-bot comes first and has no token: AGENT_TOKEN (the first bot's) is unset, and the endpoints must exist anyway. */
const BOTS = `
apps:
  main: { appId: "e2e-main", region: us, apiKey: "e2e-main-api-key", apiUrl: "http://127.0.0.1:9/v3" }
bots:
  - uid: ops-bot
    app: main
    webhook: { username: ops, password: "ops-webhook-password" }
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: "support-webhook-password" }
    responders: [support-desk]
    agentToken: "${SUPPORT_TOKEN}"
  - uid: Sales-Bot
    app: main
    webhook: { username: cometchat, password: "sales-webhook-password" }
    responders: [sales-desk]
    agentToken: "${SALES_TOKEN}"
`;

const user = (content: string): Message => ({ id: randomUUID(), role: 'user', content });
const input = (text: string) => ({ threadId: randomUUID(), runId: randomUUID(), messages: [user(text)] });

/** Several bots with an AI agent each: `POST /agents/ag-ui/{botUid}`, each with its bot's token, responders and state. */
describe('AI Agent (AG-UI) endpoints of several bots', () => {
  let app: TestApp;
  let url: string;
  let file: ReturnType<typeof writeBotsFile>;

  beforeAll(async () => {
    file = writeBotsFile(BOTS);
    app = await TestApp.start('agents-several-bots', { ...NO_SINGLE_BOT, BOTS_FILE: file.path, APP_ROLE: 'api' }, [DesksModule]);
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    url = await app.app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    file?.remove();
  });

  /** One run through the real client; the events it accepted, and the answer's text. */
  async function run(path: string, token: string, text: string, threadId = randomUUID()) {
    const agent = new HttpAgent({ url: `${url}${path}`, headers: { Authorization: `Bearer ${token}` }, threadId, initialMessages: [user(text)] });
    const events: BaseEvent[] = [];
    await agent.runAgent({ runId: randomUUID() }, { onEvent: ({ event }) => void events.push(event) });
    const deltas = events.filter((event) => event.type === EventType.TEXT_MESSAGE_CONTENT).map((event) => (event as any).delta as string);
    return { types: events.map((event) => event.type), deltas, answer: deltas.join('') };
  }
  const post = (path: string, authorization: string) =>
    app.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json', authorization },
      payload: JSON.stringify(input('hi')),
    });

  it("answers on each bot's path as that bot, with its own responders, streaming when they stream", async () => {
    const support = await run('/agents/ag-ui/support-bot', SUPPORT_TOKEN, 'where is my order?');
    expect(support.types.at(0)).toBe(EventType.RUN_STARTED);
    expect(support.types.at(-1)).toBe(EventType.RUN_FINISHED);
    expect(support.deltas).toEqual([expect.stringMatching(/^support-desk: "where is my order\?" for support-bot in support-bot\/user-/)]);

    // Any case, as CometChat lowercases UIDs; the second responder's parts arrive as separate deltas.
    const sales = await run('/agents/ag-ui/SALES-BOT', SALES_TOKEN, 'a quote please');
    expect(sales.deltas).toEqual(['sales-desk: ', expect.stringMatching(/^"a quote please" for sales-bot in sales-bot\/user-/)]);
    expect(sales.types.filter((type) => type === EventType.TEXT_MESSAGE_START)).toHaveLength(1);
  });

  it("keeps each bot's state of one thread apart, under its bot's conversation", async () => {
    const threadId = randomUUID();
    expect((await run('/agents/ag-ui/support-bot', SUPPORT_TOKEN, 'one', threadId)).answer).toMatch(/turn 1$/);
    expect((await run('/agents/ag-ui/support-bot', SUPPORT_TOKEN, 'two', threadId)).answer).toMatch(/turn 2$/);
    expect((await run('/agents/ag-ui/sales-bot', SALES_TOKEN, 'one', threadId)).answer).toMatch(/turn 1$/);
    expect(await app.redis().hget(`${app.prefix}:state:support-bot/user-ag-ui:${threadId}`, 'turns')).toBe('2');
    expect(await app.redis().hget(`${app.prefix}:state:sales-bot/user-ag-ui:${threadId}`, 'turns')).toBe('1');
  });

  it("refuses another bot's token, or none, with 401 and the Bearer challenge", async () => {
    for (const [path, authorization] of [
      ['/agents/ag-ui/support-bot', `Bearer ${SALES_TOKEN}`],
      ['/agents/ag-ui/sales-bot', `Bearer ${SUPPORT_TOKEN}`],
      ['/agents/ag-ui/sales-bot', ''],
    ]) {
      const answer = await post(path, authorization);
      expect(answer.statusCode).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="cometchat-bot-agent"');
    }
  });

  it('answers 404 naming no bot for a bot it does not serve, a bot without a token, and the shared path with two agents', async () => {
    const answers = {
      unknown: await post('/agents/ag-ui/billing-bot', `Bearer ${SUPPORT_TOKEN}`),
      noToken: await post('/agents/ag-ui/ops-bot', `Bearer ${SUPPORT_TOKEN}`),
      shared: await post('/agents/ag-ui', `Bearer ${SUPPORT_TOKEN}`),
    };
    for (const answer of Object.values(answers)) {
      expect(answer.statusCode).toBe(404);
      for (const uid of ['support-bot', 'sales-bot', 'ops-bot']) expect(answer.body.toLowerCase()).not.toContain(uid);
    }
    expect(answers.unknown.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'No AI agent is served at this path' });
    expect(answers.noToken.json()).toEqual(answers.unknown.json());
    expect(answers.shared.json().message).toContain('/agents/ag-ui/{botUid}');
  });
});

describe('AI Agent (AG-UI) shared endpoint with several bots, one of them with a token', () => {
  it("is that bot's: its responders, its conversation", async () => {
    const file = writeBotsFile(BOTS.replace(`    agentToken: "${SUPPORT_TOKEN}"\n`, ''));
    const app = await TestApp.start('agents-one-of-several', { ...NO_SINGLE_BOT, BOTS_FILE: file.path, APP_ROLE: 'api' }, [DesksModule]);
    try {
      const answer = await app.app.inject({
        method: 'POST',
        url: '/agents/ag-ui',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SALES_TOKEN}` },
        payload: JSON.stringify(input('hello')),
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.body).toContain('"delta":"sales-desk: "');
      expect(answer.body).toMatch(/"delta":"\\"hello\\" for sales-bot in sales-bot\/user-/);
      expect((await app.app.inject({ method: 'POST', url: '/agents/ag-ui/support-bot', payload: {} })).statusCode).toBe(404);
    } finally {
      await app.close();
      file.remove();
    }
  });
});
