import { FakeCometChat } from './support/fake-cometchat';
import { directText, messageDeleted, messageEdited, reaction } from './support/fixtures';
import { basicAuthOf as auth, botCallback, NO_SINGLE_BOT, writeBotsFile } from './support/several-bots';
import { BOT_UID, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const FEEDBACK = 'cometchat_bot_feedback_total';

/** The built-in handling of edits, deletes and reactions, each switched off: the events are taken, nothing done. */
describe('app webhooks with ANSWER_EDITED_MESSAGES, DELETE_ANSWERS_OF_DELETED_MESSAGES and COUNT_FEEDBACK off', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start('app-events-off', {
      COMETCHAT_API_URL: cometchat.url,
      ANSWER_EDITED_MESSAGES: 'false',
      DELETE_ANSWERS_OF_DELETED_MESSAGES: 'false',
      COUNT_FEEDBACK: 'false',
    });
  });
  afterAll(async () => {
    await app?.close();
    await cometchat.stop();
  });

  it('takes each event (accepted) and neither answers the edit, nor deletes the answer, nor counts the 👍', async () => {
    const question = directText('switch me off', 'off-ana');
    await app.post(question);
    const answer = await waitFor('the echo', () => cometchat.messages.find((m) => m.receiver === 'off-ana'));
    await app.drained();
    for (const event of [messageEdited(question, 'switch me off again'), reaction(true, answer.id, '👍', 'off-ana'), messageDeleted(question)]) {
      expect((await app.postEvent(event)).json()).toMatchObject({ status: 'accepted' });
    }
    await app.drained();
    expect(cometchat.posts.filter((c) => c.body.receiver === 'off-ana')).toHaveLength(1);
    expect(cometchat.deletes).toHaveLength(0);
    expect((await app.scrape()).count(FEEDBACK, { bot: BOT_UID, responder: 'echo', reaction: 'up' })).toBe(0);
  });
});

/** At the shipped defaults: a delete CometChat answers 503, then 429, goes through as any send does, once. */
describe('app webhooks: deleting an answer through CometChat 5xx and 429, at the defaults', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start('app-events-faults', { COMETCHAT_API_URL: cometchat.url });
  });
  afterAll(async () => {
    await app?.close();
    await cometchat.stop();
  });

  it('retries the delete after a 503 and waits out a 429, and the answer ends deleted', async () => {
    const question = directText('delete me through faults', 'fault-ana');
    await app.post(question);
    const answer = await waitFor('the echo', () => cometchat.messages.find((m) => m.receiver === 'fault-ana'));
    await app.drained();
    const path = `/v3/messages/${answer.id}`;
    const deletesTried = () => cometchat.calls.filter((c) => c.method === 'DELETE' && c.path === path);
    cometchat.answerPath(path, { status: 503 });
    expect((await app.postEvent(messageDeleted(question))).json()).toMatchObject({ status: 'accepted' });
    await waitFor('a delete refused with 503', () => deletesTried().length >= 1);
    cometchat.answerPath(path, { status: 429, headers: { 'retry-after': '2' } });
    await waitFor('a delete answered 429', () => deletesTried().some((c) => c.answer === 429), { timeoutMs: 20_000 });
    cometchat.answerPath(path, undefined);
    await waitFor('the answer deleted', () => cometchat.message(answer.id)?.deletedAt !== undefined, { timeoutMs: 20_000 });
    await app.drained();
    expect(cometchat.deletes.filter((c) => c.path === path)).toHaveLength(1);
    expect(cometchat.messages.filter((m) => m.receiver === 'fault-ana')).toHaveLength(1);
  });
});

const SECRETS = {
  MAIN_API_KEY: 'e2e-main-key-events',
  STAGING_API_KEY: 'e2e-staging-key-events',
  SUPPORT_PASSWORD: 'e2e-support-events',
  SALES_PASSWORD: 'e2e-sales-events',
};

/** Several bots (BOTS_FILE): an app's event goes to the conversation of the bot it concerns, and counts as that bot's. */
describe('app webhooks with several bots', () => {
  let file: ReturnType<typeof writeBotsFile>;
  let main: FakeCometChat;
  let staging: FakeCometChat;
  let app: TestApp;
  // The events route's credentials default to the first bot's callback credentials (WEBHOOK_*).
  const events = auth('cometchat', SECRETS.SUPPORT_PASSWORD);

  beforeAll(async () => {
    main = await new FakeCometChat().start();
    staging = await new FakeCometChat().start();
    file = writeBotsFile(`
apps:
  main: { appId: "e2e-main", region: us, apiKey: "\${MAIN_API_KEY}", apiUrl: "${main.url}" }
  staging: { appId: "e2e-staging", region: eu, apiKey: "\${STAGING_API_KEY}", apiUrl: "${staging.url}" }
bots:
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: "\${SUPPORT_PASSWORD}" }
  - uid: sales-bot
    app: main
    webhook: { username: cometchat, password: "\${SALES_PASSWORD}" }
  - uid: ops-bot
    app: staging
    webhook: { username: cometchat, password: "\${SUPPORT_PASSWORD}" }
`);
    app = await TestApp.start('app-events-bots', { ...NO_SINGLE_BOT, ...SECRETS, BOTS_FILE: file.path });
  });
  afterAll(async () => {
    await app?.close();
    await main?.stop();
    await staging?.stop();
    file?.remove();
  });

  const envelope = (appId: string | undefined, event: any) => ({ ...event, ...(appId ? { appId } : { appId: undefined }) });

  it("answers an edit as the bot the message was sent to, and counts a 👍 on an answer under that bot's name", async () => {
    const question = botCallback('sales-bot', 'price please', { sender: 'bob' });
    const answered = await app.app.inject({
      method: 'POST',
      url: '/webhooks/cometchat',
      headers: { authorization: auth('cometchat', SECRETS.SALES_PASSWORD), 'content-type': 'application/json' },
      payload: JSON.stringify(question),
    });
    expect(answered.json()).toMatchObject({ status: 'accepted' });
    const answer = await waitFor('the echo', () => main.messages.find((m) => m.receiver === 'bob'));
    expect(answer.sender).toBe('sales-bot');
    await app.drained();

    const edit = envelope('e2e-main', messageEdited({ data: { ...question.data, sentAt: Math.floor(Date.now() / 1000) } }, 'price please, in euros'));
    expect((await app.postEvent(edit, { authorization: events })).json()).toMatchObject({ status: 'accepted' });
    const again = await waitFor('the edit answered', () => main.messages.find((m) => m.data?.text === 'price please, in euros'));
    expect(again.sender).toBe('sales-bot');

    const liked = envelope('e2e-main', reaction(true, answer.id, '👍', 'bob', { ...answer, category: 'message', type: 'text' }));
    expect((await app.postEvent(liked, { authorization: events })).json()).toMatchObject({ status: 'accepted' });
    await waitFor(
      '👍 counted for sales-bot',
      async () => (await app.scrape()).count(FEEDBACK, { bot: 'sales-bot', responder: 'echo', reaction: 'up' }) === 1,
    );
    expect((await app.scrape()).count(FEEDBACK, { bot: 'support-bot', responder: 'echo', reaction: 'up' })).toBe(0);
  });

  it("takes a group message's edit into the conversation of the bot that took the message, not the app's first bot", async () => {
    const question = botCallback('sales-bot', '<@uid:sales-bot> group price please', { sender: 'carol', group: 'shop-floor' });
    (question.data as any).data.mentions = { 'sales-bot': { uid: 'sales-bot' } };
    const answered = await app.app.inject({
      method: 'POST',
      url: '/webhooks/cometchat',
      headers: { authorization: auth('cometchat', SECRETS.SALES_PASSWORD), 'content-type': 'application/json' },
      payload: JSON.stringify(question),
    });
    expect(answered.json()).toMatchObject({ status: 'accepted' });
    await waitFor('the group answer', () => main.messages.some((m) => m.receiver === 'shop-floor' && m.sender === 'sales-bot'));
    await app.drained();
    const edited = { ...question.data, data: { ...(question.data as any).data, text: '<@uid:sales-bot> group price please, in euros' } };
    const edit = envelope('e2e-main', messageEdited({ data: edited }, '<@uid:sales-bot> group price please, in euros'));
    expect((await app.postEvent(edit, { authorization: events })).json()).toMatchObject({ status: 'accepted' });
    const again = await waitFor('the edit answered', () =>
      main.messages.find((m) => m.receiver === 'shop-floor' && m.data?.text === 'group price please, in euros'),
    );
    expect(again.sender).toBe('sales-bot');
    await app.drained();
    expect(main.messages.filter((m) => m.receiver === 'shop-floor' && m.sender === 'support-bot')).toHaveLength(0);
  });

  it('refuses an event of an app it does not serve (404), and one naming no app where several are served (400)', async () => {
    const edit = messageEdited({ data: botCallback('sales-bot', 'x', { sender: 'bob' }).data }, 'y');
    expect((await app.postEvent(envelope('another-app', edit), { authorization: events })).statusCode).toBe(404);
    const noApp = await app.postEvent(envelope(undefined, edit), { authorization: events });
    expect(noApp.statusCode).toBe(400);
    expect(noApp.json().message).toContain('appId');
  });
});
