import { Module } from '@nestjs/common';
import { BotEvent, Responder, textReply } from '../src/responders';
import { FakeCometChat, RecordedCall } from './support/fake-cometchat';
import { basicAuthOf as auth, botCallback, writeBotsFile, NO_SINGLE_BOT, nextMessageId } from './support/several-bots';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Takes what another bot of the deployment says, as a responder must opt in to (answersBots). */
@Responder({ name: 'bot-listener', priority: 50, answersBots: true })
class BotListenerResponder {
  match(event: BotEvent) {
    return event.text === 'bots, report';
  }
  respond(ctx: { event: BotEvent }) {
    return textReply(`heard ${ctx.event.sender.uid}`);
  }
}

@Module({ providers: [BotListenerResponder] })
class BotListenerModule {}

/** The secrets the file reads from the environment. */
const SECRETS = {
  MAIN_API_KEY: 'e2e-main-api-key-several',
  STAGING_API_KEY: 'e2e-staging-api-key-several',
  SUPPORT_WEBHOOK_PASSWORD: 'e2e-support-password-several',
  SALES_WEBHOOK_PASSWORD: 'e2e-sales-password-several',
  OPS_WEBHOOK_PASSWORD: 'e2e-ops-password-several',
};

const SUPPORT = auth('cometchat', SECRETS.SUPPORT_WEBHOOK_PASSWORD);
const SALES = auth('cometchat', SECRETS.SALES_WEBHOOK_PASSWORD);
const OPS = auth('ops', SECRETS.OPS_WEBHOOK_PASSWORD);
const callback = botCallback;

/**
 * Several bots in one deployment (BOTS_FILE): two bots in one CometChat app and one in a second app, each routed by
 * its `bot` field or its path, authenticated with its own credentials, answered as itself through its own app.
 */
describe('several bots in one deployment', () => {
  let file: ReturnType<typeof writeBotsFile>;
  let main: FakeCometChat;
  let staging: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    main = await new FakeCometChat().start();
    staging = await new FakeCometChat().start();
    file = writeBotsFile(
      `
apps:
  main: { appId: "e2e-main", region: us, apiKey: "\${MAIN_API_KEY}", apiUrl: "${main.url}" }
  staging: { appId: "e2e-staging", region: eu, apiKey: "\${STAGING_API_KEY}", apiUrl: "${staging.url}" }
bots:
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: "\${SUPPORT_WEBHOOK_PASSWORD}" }
    groupChatSetting: allMessages
  - uid: Sales-Bot
    app: main
    webhook: { username: cometchat, password: "\${SALES_WEBHOOK_PASSWORD}" }
    groupChatSetting: allMessages
    responders: [help]
  - uid: ops-bot
    app: staging
    webhook: { username: ops, password: "\${OPS_WEBHOOK_PASSWORD}" }
`,
    );
    app = await TestApp.start(
      'several-bots',
      { ...NO_SINGLE_BOT, ...SECRETS, BOTS_FILE: file.path, FALLBACK_TEXT: 'I did not get that.', RETRY_BACKOFF_MS: '100' },
      [BotListenerModule],
    );
  });
  afterAll(async () => {
    await app?.close();
    await main?.stop();
    await staging?.stop();
    file?.remove();
  });

  const post = (body: unknown, authorization: string, url = '/webhooks/cometchat') =>
    app.app.inject({ method: 'POST', url, headers: { authorization, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  const sendsOf = (fake: FakeCometChat, messageId: string) =>
    fake.calls.filter((c) => c.method === 'POST' && String(c.body?.muid).startsWith(`reply-${messageId}-`));

  it("authenticates each callback with its own bot's credentials, routed by its bot field", async () => {
    expect((await post(callback('support-bot', 'hi'), SUPPORT)).json()).toMatchObject({ status: 'accepted' });
    expect((await post(callback('sales-bot', 'hi'), SALES)).json()).toMatchObject({ status: 'accepted' });
    expect((await post(callback('ops-bot', 'hi'), OPS)).json()).toMatchObject({ status: 'accepted' });

    // Another bot's credentials are wrong credentials.
    for (const [bot, wrong] of [
      ['support-bot', SALES],
      ['sales-bot', SUPPORT],
      ['ops-bot', SUPPORT],
    ] as const) {
      const answer = await post(callback(bot, 'hi'), wrong);
      expect(answer.statusCode).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Basic realm="cometchat-bot", charset="UTF-8"');
    }
  });

  it('routes by the path too, in any case; a bot it does not serve is not found, and the answer names no bot', async () => {
    const byPath = await post(callback(undefined, 'hi'), SALES, '/webhooks/cometchat/Sales-Bot');
    expect(byPath.json()).toMatchObject({ status: 'accepted' });

    const unknown = [
      await post(callback('billing-bot', 'hi'), SUPPORT),
      await post(callback(undefined, 'hi'), SUPPORT),
      await post(callback('billing-bot', 'hi'), SUPPORT, '/webhooks/cometchat/billing-bot'),
    ];
    for (const answer of unknown) {
      expect(answer.statusCode).toBe(404);
      for (const uid of ['support-bot', 'sales-bot', 'ops-bot']) expect(answer.body.toLowerCase()).not.toContain(uid);
    }
    // A callback naming another bot than its path would be answered as a bot it was not sent to.
    const mismatch = await post(callback('support-bot', 'hi'), SALES, '/webhooks/cometchat/sales-bot');
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().message).toContain('bot');
  });

  it('answers each bot through its own app, as itself, with its app key', async () => {
    const toSupport = callback('support-bot', 'hello support');
    const toOps = callback('ops-bot', 'hello ops');
    await post(toSupport, SUPPORT);
    await post(toOps, OPS);

    const [support] = await waitFor('support-bot answers', () => sendsOf(main, toSupport.data.id).length > 0 && sendsOf(main, toSupport.data.id));
    expect(support.path).toBe('/v3/bots/support-bot/messages');
    expect(support.headers.apikey).toBe(SECRETS.MAIN_API_KEY);
    expect(support.body).toMatchObject({ receiver: 'ana', receiverType: 'user', data: { text: 'hello support' } });

    const [ops] = await waitFor('ops-bot answers', () => sendsOf(staging, toOps.data.id).length > 0 && sendsOf(staging, toOps.data.id));
    expect(ops.path).toBe('/v3/bots/ops-bot/messages');
    expect(ops.headers.apikey).toBe(SECRETS.STAGING_API_KEY);
    expect(sendsOf(staging, toSupport.data.id)).toEqual([]);
    expect(sendsOf(main, toOps.data.id)).toEqual([]);
  });

  it('takes one message sent to two bots (a group with both) as two messages, each answered once by its bot', async () => {
    const id = nextMessageId();
    const toSupport = callback('support-bot', 'hello both', { group: 'team', id });
    const toSales = callback('sales-bot', '/help', { group: 'team', id });
    expect((await post(toSupport, SUPPORT)).json()).toMatchObject({ status: 'accepted' });
    expect((await post(toSales, SALES)).json()).toMatchObject({ status: 'accepted' });
    // Each bot's redelivery is its own duplicate.
    expect((await post(toSupport, SUPPORT)).json()).toMatchObject({ status: 'duplicate' });
    expect((await post(toSales, SALES)).json()).toMatchObject({ status: 'duplicate' });

    const both = await waitFor('both bots answer', () => {
      const calls = sendsOf(main, id);
      return calls.length >= 2 && calls;
    });
    const byPath = new Map<string, RecordedCall[]>();
    for (const call of both) byPath.set(call.path, [...(byPath.get(call.path) ?? []), call]);
    expect([...byPath.keys()].sort()).toEqual(['/v3/bots/sales-bot/messages', '/v3/bots/support-bot/messages']);
    expect(byPath.get('/v3/bots/support-bot/messages')!.map((c) => c.body.data.text)).toEqual(['hello both']);
    // sales-bot runs only `help`: its /help lists only its own commands.
    expect(byPath.get('/v3/bots/sales-bot/messages')!.map((c) => c.body.data.text)).toEqual(['Commands:\n/help — List what I can do']);
    await app.drained();
    expect(sendsOf(main, id)).toHaveLength(2);
  });

  it('runs only the responders a bot names: what none of them takes gets the fallback', async () => {
    const toSales = callback('sales-bot', 'echo this');
    await post(toSales, SALES);
    const [reply] = await waitFor('sales-bot answers', () => sendsOf(main, toSales.data.id).length > 0 && sendsOf(main, toSales.data.id));
    expect(reply.body.data.text).toBe('I did not get that.');
  });

  it('never answers another bot of the deployment, unless a responder opts in', async () => {
    // sales-bot writes in a group support-bot reads every message of.
    const chatter = callback('support-bot', 'good morning', { group: 'team', sender: 'Sales-Bot' });
    const report = callback('support-bot', 'bots, report', { group: 'team', sender: 'sales-bot' });
    const human = callback('support-bot', 'human here', { group: 'team', sender: 'ben' });
    for (const body of [chatter, report, human]) expect((await post(body, SUPPORT)).statusCode).toBe(200);

    await waitFor('the human is answered', () => sendsOf(main, human.data.id).length > 0);
    const [heard] = await waitFor('the opted-in responder answers', () => sendsOf(main, report.data.id).length > 0 && sendsOf(main, report.data.id));
    expect(heard.body.data.text).toBe('heard sales-bot');
    await app.drained();
    // Neither echo nor the fallback answered the other bot.
    expect(sendsOf(main, chatter.data.id)).toEqual([]);
  });
});
