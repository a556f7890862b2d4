import { Logger, Module } from '@nestjs/common';
import { REPLY_SENDER } from '../src/cometchat/reply-sender';
import { BotEvent, Responder, textReply } from '../src/responders';
import { SandboxReplySender } from '../src/sandbox/sandbox-reply-sender.service';
import { NO_SINGLE_BOT, writeBotsFile } from './support/several-bots';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** sales-bot's only responder (BOTS_FILE `responders`), so its replies cannot be taken for support-bot's echo. */
@Responder({ name: 'sales-desk', priority: 10 })
class SalesDeskResponder {
  respond({ event }: { event: BotEvent }) {
    return textReply(`sales-desk (${event.bot}): ${event.text}`);
  }
}

@Module({ providers: [SalesDeskResponder] })
class SalesDeskModule {}

/** Two apps without an apiKey: sandbox mode, as a BOTS_FILE of a team trying the service has it. */
const BOTS = `
apps:
  main: { appId: "e2e-main", region: us }
  staging: { appId: "e2e-staging", region: eu }
bots:
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: "support-webhook-password" }
    groupChatSetting: allMessages
    responders: [echo]
  - uid: Sales-Bot
    app: staging
    webhook: { username: sales, password: "sales-webhook-password" }
    groupChatSetting: allMessages
    responders: [sales-desk]
    agentToken: "sales-agent-token-0123456789"
`;

/** The sandbox of a deployment of several bots: the page talks to the bot it picks, and each bot answers as itself. */
describe('sandbox mode with several bots', () => {
  let app: TestApp;
  let file: ReturnType<typeof writeBotsFile>;
  let banner: string;

  beforeAll(async () => {
    file = writeBotsFile(BOTS);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    app = await TestApp.start('sandbox-several-bots', { ...NO_SINGLE_BOT, BOTS_FILE: file.path }, [SalesDeskModule]);
    banner = warn.mock.calls.map(([message]) => String(message)).find((message) => message.includes('SANDBOX MODE')) ?? '';
    warn.mockRestore();
  });
  afterAll(async () => {
    await app?.close();
    file?.remove();
  });

  const say = (payload: Record<string, unknown>) => app.app.inject({ method: 'POST', url: '/sandbox/messages', payload });
  const outbox = async () => (await app.redis().lrange(`${app.prefix}:sandbox:outbox`, 0, -1)).map((json) => JSON.parse(json));
  const replyTo = (id: string) => waitFor(`the reply to ${id}`, async () => (await outbox()).find((reply) => reply.eventId === id));

  it('is sandbox mode with apps without an apiKey, and says why in terms of BOTS_FILE', () => {
    expect(app.app.get(REPLY_SENDER)).toBeInstanceOf(SandboxReplySender);
    expect(banner).toContain('no app of BOTS_FILE has an apiKey');
  });

  it('tells the page every bot, each with its group setting and whether it has an agent (never a token)', async () => {
    const session = await app.app.inject({ method: 'GET', url: '/sandbox/session' });
    expect(session.json()).toEqual({
      botUid: 'support-bot',
      mode: 'sandbox',
      groupChatSetting: 'allMessages',
      agentEndpoint: false,
      streamEditIntervalMs: 2000,
      bots: [
        { uid: 'support-bot', groupChatSetting: 'allMessages', agentEndpoint: false },
        { uid: 'sales-bot', groupChatSetting: 'allMessages', agentEndpoint: true },
      ],
    });
    expect(session.body).not.toContain('sales-agent-token');
  });

  it("posts to the bot picked, as that bot's callback to its own path, and the reply comes from that bot", async () => {
    const toSales = (await say({ bot: 'Sales-Bot', sender: { uid: 'alice' }, conversation: { type: 'user' }, text: 'a quote?' })).json();
    expect(toSales.webhook).toEqual({ statusCode: 200, body: { status: 'accepted', id: toSales.id } });
    expect(toSales.callback).toMatchObject({
      bot: 'sales-bot',
      appId: 'e2e-staging',
      region: 'eu',
      data: { receiver: 'sales-bot', receiverType: 'user', conversationId: 'alice_user_sales-bot' },
    });
    expect(toSales.message).toMatchObject({ bot: 'sales-bot', receiver: 'sales-bot', conversationId: 'alice_user_sales-bot' });
    expect(await replyTo(toSales.id)).toMatchObject({
      sender: 'sales-bot',
      receiver: 'alice',
      conversationId: 'alice_user_sales-bot',
      data: { text: 'sales-desk (sales-bot): a quote?' },
    });

    // No bot named: the first, as the page of one bot always posted.
    const toSupport = (await say({ sender: { uid: 'alice' }, conversation: { type: 'user' }, text: 'hello' })).json();
    expect(toSupport.callback).toMatchObject({ bot: 'support-bot', appId: 'e2e-main', data: { receiver: 'support-bot' } });
    expect(toSupport.message.bot).toBe('support-bot');
    expect(await replyTo(toSupport.id)).toMatchObject({ sender: 'support-bot', conversationId: 'alice_user_support-bot', data: { text: 'hello' } });
  });

  it('answers a group message once from each bot it was sent to, each as itself', async () => {
    const support = (await say({ bot: 'support-bot', sender: { uid: 'bob' }, conversation: { type: 'group', id: 'team' }, text: 'morning' })).json();
    const sales = (await say({ bot: 'sales-bot', sender: { uid: 'bob' }, conversation: { type: 'group', id: 'team' }, text: 'morning' })).json();
    expect(await replyTo(support.id)).toMatchObject({
      sender: 'support-bot',
      receiver: 'team',
      conversationId: 'group_team',
      data: { text: 'morning' },
    });
    expect(await replyTo(sales.id)).toMatchObject({ sender: 'sales-bot', receiver: 'team', data: { text: 'sales-desk (sales-bot): morning' } });

    // The outbox can be read one bot at a time, as the page shows it.
    const salesOnly = (await app.app.inject({ method: 'GET', url: '/sandbox/outbox?bot=SALES-BOT' })).json();
    expect(salesOnly.length).toBeGreaterThan(0);
    expect(new Set(salesOnly.map((reply: { sender: string }) => reply.sender))).toEqual(new Set(['sales-bot']));
  });

  it('refuses a bot the deployment does not serve with 400, before anything reaches the webhook', async () => {
    const answer = await say({ bot: 'billing-bot', sender: { uid: 'alice' }, conversation: { type: 'user' }, text: 'hi' });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().message).toContain('billing-bot is not a bot of this deployment');
  });
});
