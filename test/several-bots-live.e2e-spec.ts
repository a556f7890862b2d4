import { Module } from '@nestjs/common';
import type { BotResponder, ResponderStreamPart } from '../src/responders';
import { Responder } from '../src/responders';
import { FakeCometChat, RecordedCall } from './support/fake-cometchat';
import { basicAuthOf, botCallback, NO_SINGLE_BOT, writeBotsFile } from './support/several-bots';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const SENTENCES = Array.from({ length: 10 }, (_, n) => `Line ${n + 1} of the story.`);
const STORY = SENTENCES.join(' ');

/** A team's streamed answer: ten sentences, 600 ms apart (a 6-second answer). */
@Responder({ name: 'story', pattern: /^story/ })
class StoryResponder implements BotResponder {
  async *respond(): AsyncGenerator<ResponderStreamPart> {
    for (const [n, sentence] of SENTENCES.entries()) {
      if (n > 0) await new Promise((resolve) => setTimeout(resolve, 600));
      yield n === 0 ? sentence : ` ${sentence}`;
    }
  }
}

@Module({ providers: [StoryResponder] })
class StoryModule {}

/**
 * With several bots, a streamed answer's edits spend its own bot's `sendsPerMinute` (BOTS_FILE), at the shipped
 * defaults: the metered bot's intermediate edits wait (and are skipped) until its minute allows the final one, while
 * another bot of the same app edits its answer as usual.
 */
describe("several bots: edits spend each bot's own sendsPerMinute", () => {
  let cometchat: FakeCometChat;
  let file: ReturnType<typeof writeBotsFile>;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    const bot = (uid: string, extra = '') =>
      `  - { uid: ${uid}, app: main, webhook: { username: cometchat, password: "\${HOOK_PASSWORD}" }${extra} }\n`;
    file = writeBotsFile(
      `apps:\n  main: { appId: "e2e-main", region: us, apiKey: "\${MAIN_API_KEY}", apiUrl: "${cometchat.url}" }\nbots:\n` +
        bot('metered-bot', ', sendsPerMinute: 2') +
        bot('free-bot'),
    );
    app = await TestApp.start(
      'several-bots-live',
      { ...NO_SINGLE_BOT, HOOK_PASSWORD: 'a-long-webhook-password', MAIN_API_KEY: 'main-key', BOTS_FILE: file.path },
      [StoryModule],
    );
  });
  afterAll(async () => {
    await app?.close();
    await cometchat?.stop();
    file?.remove();
  });

  const post = (body: unknown) =>
    app.app.inject({
      method: 'POST',
      url: '/webhooks/cometchat',
      headers: { authorization: basicAuthOf('cometchat', 'a-long-webhook-password'), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  /** The bot's calls CometChat took: its posts, and the edits made on its behalf. */
  const callsOf = (uid: string): RecordedCall[] =>
    cometchat.delivered.filter((c) => c.path === `/v3/bots/${uid}/messages` || (c.method === 'PUT' && c.headers.onbehalfof === uid));

  it('holds the metered bot to 2 calls in its minute (the post and one edit), then sends the final edit; the other bot edits as usual', async () => {
    expect((await post(botCallback('metered-bot', 'story please', { sender: 'meter-ana' }))).json()).toMatchObject({ status: 'accepted' });
    expect((await post(botCallback('free-bot', 'story please', { sender: 'free-ana' }))).json()).toMatchObject({ status: 'accepted' });
    const metered = await waitFor('the metered post', () => cometchat.messages.find((m) => m.receiver === 'meter-ana'));
    const free = await waitFor('the free post', () => cometchat.messages.find((m) => m.receiver === 'free-ana'));

    // The free bot's answer is whole after its edits, within seconds, while the metered bot waits out its minute.
    await waitFor('the free answer', () => cometchat.message(free.id)?.data?.text === STORY, { timeoutMs: 20_000 });
    expect(callsOf('free-bot').length).toBeGreaterThanOrEqual(3);
    expect(cometchat.message(metered.id)?.data?.text).not.toBe(STORY);

    await waitFor('the metered answer', () => cometchat.message(metered.id)?.data?.text === STORY, { timeoutMs: 90_000 });
    const calls = callsOf('metered-bot');
    const first = calls[0].at;
    expect(calls.filter((c) => c.at - first < 55_000)).toHaveLength(2);
    expect(calls.at(-1)!.at - first).toBeGreaterThanOrEqual(55_000);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    // Never a 429 from CometChat: the bot's budget held its edits back before they were sent.
    expect(cometchat.calls.filter((c) => c.answer === 429)).toHaveLength(0);
  }, 120_000);
});
