import { Module } from '@nestjs/common';
import type { BotResponder, ResponderContext, ResponderStreamPart } from '../src/responders';
import { Responder } from '../src/responders';
import { FakeCometChat, RecordedCall } from './support/fake-cometchat';
import { FakeModelServer, lastUserText } from './support/fake-openai';
import { directText } from './support/fixtures';
import { Scrape } from './support/prometheus-text';
import { BOT_UID, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Twelve sentences, written one every half second: a 6-second answer. */
const SENTENCES = Array.from({ length: 12 }, (_, n) => `Sentence number ${n + 1} of the answer.`);
const LONG_ANSWER = SENTENCES.join(' ');

const direct = directText;

/** LONG_ANSWER as a slow model writes it: a sentence every `pieceDelayMs`. */
const slowAnswer = (pieceDelayMs: number) => ({ text: LONG_ANSWER, pieces: SENTENCES.map((s, n) => (n === 0 ? s : ` ${s}`)), pieceDelayMs });

/** The service answering with the fake model, replying to the fake CometChat. */
const withModel = (cometchat: FakeCometChat, model: FakeModelServer) => ({
  COMETCHAT_API_URL: cometchat.url,
  LLM_MODEL: 'fake-model',
  LLM_BASE_URL: model.url,
  LLM_API_KEY: 'model-key',
});

const postsTo = (calls: RecordedCall[], receiver: string) =>
  calls.filter((c) => c.method === 'POST' && c.answer === 200 && c.body.receiver === receiver);
const editsOf = (calls: RecordedCall[], messageId: string) => calls.filter((c) => c.method === 'PUT' && c.path === `/v3/messages/${messageId}`);

/**
 * Live turns on the bot path at the shipped defaults (PROGRESS_AFTER_MS 1500, STREAM_EDIT_INTERVAL_MS 2000): a slow
 * streamed answer is posted once, early, and filled in by edits; a quick one is posted once, whole.
 */
describe('live turns: progress by edit (a slow streaming model, a fake CometChat that records edits)', () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    // A question starting "slow" is answered in twelve sentences, half a second apart; any other at once.
    model.answer = (body) => {
      const question = lastUserText(body);
      return question.startsWith('slow') ? slowAnswer(500) : { text: `quick answer to ${question}` };
    };
    app = await TestApp.start('live-turns', withModel(cometchat, model));
  });
  afterAll(async () => {
    await app?.close();
    await model.stop();
    await cometchat.stop();
  });

  it('posts a 6-second answer within 2 s, edits it at most every 2 s at sentence ends, and the last edit holds the whole answer', async () => {
    const stored = Date.now();
    await app.post(direct('slow: tell me everything', 'live-ana'));
    const [post] = await waitFor(
      'the first visible text',
      () => postsTo(cometchat.calls, 'live-ana').length === 1 && postsTo(cometchat.calls, 'live-ana'),
    );
    const firstVisibleMs = post.at - stored;
    expect(firstVisibleMs).toBeLessThanOrEqual(2000);

    const messageId = cometchat.messages.find((m) => m.receiver === 'live-ana')!.id;
    await waitFor('the whole answer', () => cometchat.message(messageId)?.data?.text === LONG_ANSWER, { timeoutMs: 20_000 });
    await app.drained();

    // One message: one post, whatever the edits.
    expect(postsTo(cometchat.calls, 'live-ana')).toHaveLength(1);
    const edits = editsOf(cometchat.calls, messageId);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    // Each as the bot, each a longer part of the answer cut at a sentence's end, the last the whole answer.
    const texts = [post.body.data.text, ...edits.map((e) => e.body.data.text)];
    for (const [n, text] of texts.entries()) {
      expect(LONG_ANSWER.startsWith(text)).toBe(true);
      expect(text).toMatch(/\.$/);
      if (n > 0) expect(text.length).toBeGreaterThan(texts[n - 1].length);
    }
    expect(texts.at(-1)).toBe(LONG_ANSWER);
    for (const edit of edits) expect(edit.headers.onbehalfof).toBe(BOT_UID);
    // At most one edit every STREAM_EDIT_INTERVAL_MS, the post counting as the first showing.
    const shownAt = [post.at, ...edits.map((e) => e.at)];
    for (let n = 1; n < shownAt.length; n++) expect(shownAt[n] - shownAt[n - 1]).toBeGreaterThanOrEqual(1800);

    const scrape = new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(scrape.count('cometchat_bot_progress_posts_total', { bot: BOT_UID })).toBe(1);
    expect(scrape.count('cometchat_bot_stream_edits_total', { bot: BOT_UID, outcome: 'sent' })).toBe(edits.length);
    expect(scrape.count('cometchat_bot_first_visible_seconds_count', { bot: BOT_UID })).toBeGreaterThanOrEqual(1);
  }, 40_000);

  it('posts an answer that finishes before PROGRESS_AFTER_MS once, whole, with no edit', async () => {
    await app.post(direct('hello there', 'live-ben'));
    await waitFor('the answer', () => postsTo(cometchat.calls, 'live-ben').length === 1);
    await app.drained();
    expect(postsTo(cometchat.calls, 'live-ben').map((c) => c.body.data.text)).toEqual(['quick answer to hello there']);
    const messageId = cometchat.messages.find((m) => m.receiver === 'live-ben')!.id;
    expect(editsOf(cometchat.calls, messageId)).toHaveLength(0);
  });

  it('answers a message written in a thread in that thread, progress edits included', async () => {
    await app.post(direct('slow: in a thread', 'live-cat', { parentId: '777' }));
    await waitFor('the post in the thread', () => cometchat.calls.some((c) => c.method === 'POST' && c.path === '/v3/messages/777/thread'));
    const message = await waitFor('the stored reply', () => cometchat.messages.find((m) => m.parentId === '777'));
    await waitFor('the whole answer', () => cometchat.message(message.id)?.data?.text === LONG_ANSWER, { timeoutMs: 20_000 });
    await app.drained();
    expect(cometchat.calls.filter((c) => c.method === 'POST' && c.path === '/v3/messages/777/thread' && c.answer === 200)).toHaveLength(1);
    expect(editsOf(cometchat.calls, message.id).length).toBeGreaterThanOrEqual(1);
  }, 40_000);

  it('retries an edit CometChat fails with a 5xx, never the post', async () => {
    await app.post(direct('slow: with a failing edit', 'live-dan'));
    const message = await waitFor('the post', () => cometchat.messages.find((m) => m.receiver === 'live-dan'));
    const path = `/v3/messages/${message.id}`;
    cometchat.answerPath(path, { status: 503 });
    await waitFor('an edit refused', () => cometchat.calls.some((c) => c.path === path && c.answer === 503), { timeoutMs: 10_000 });
    cometchat.answerPath(path, undefined);
    await waitFor('the whole answer', () => cometchat.message(message.id)?.data?.text === LONG_ANSWER, { timeoutMs: 30_000 });
    await app.drained();
    expect(postsTo(cometchat.calls, 'live-dan')).toHaveLength(1);
    expect(cometchat.messages.filter((m) => m.receiver === 'live-dan')).toHaveLength(1);
  }, 45_000);

  it('under a 429 on edits, skips the intermediate ones and still sends the final one', async () => {
    await app.post(direct('slow: under pressure', 'live-eve'));
    const message = await waitFor('the post', () => cometchat.messages.find((m) => m.receiver === 'live-eve'));
    const path = `/v3/messages/${message.id}`;
    const skippedBefore = new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body).count('cometchat_bot_stream_edits_total', {
      bot: BOT_UID,
      outcome: 'skipped',
    });
    cometchat.answerPath(path, { status: 429, headers: { 'retry-after': '5' } });
    await waitFor('an edit rate-limited', () => cometchat.calls.some((c) => c.path === path && c.answer === 429), { timeoutMs: 10_000 });
    cometchat.answerPath(path, undefined);
    await waitFor('the whole answer', () => cometchat.message(message.id)?.data?.text === LONG_ANSWER, { timeoutMs: 30_000 });
    await app.drained();
    expect(postsTo(cometchat.calls, 'live-eve')).toHaveLength(1);
    const skipped = new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body).count('cometchat_bot_stream_edits_total', {
      bot: BOT_UID,
      outcome: 'skipped',
    });
    expect(skipped).toBeGreaterThan(skippedBefore);
  }, 45_000);

  it('/stop ends the running turn within 1 s: the model call is aborted, the answer ends "(stopped)", and the message behind is answered', async () => {
    await app.post(direct('slow: a long story', 'live-fay'));
    const message = await waitFor('the post', () => cometchat.messages.find((m) => m.receiver === 'live-fay'));
    await app.post(direct('and then?', 'live-fay'));
    const [request] = model.about('slow: a long story');
    const stopAt = Date.now();
    const stop = await app.post(direct('/stop', 'live-fay'));
    expect(stop.json()).toMatchObject({ status: 'accepted' });
    await waitFor('the model call aborted', () => request.abandoned, { intervalMs: 5 });
    expect(request.abandonedAt! - stopAt).toBeLessThanOrEqual(1000);

    await waitFor('the answer stopped', () => /\(stopped\)$/.test(cometchat.message(message.id)?.data?.text ?? ''));
    await waitFor('the message behind answered', () =>
      postsTo(cometchat.calls, 'live-fay').some((c) => c.body.data.text === 'quick answer to and then?'),
    );
    await app.drained();
    // Edited once to end with "(stopped)": what the user had seen, then the mark; nothing for the /stop itself.
    const texts = cometchat.message(message.id)!.texts!;
    expect(texts.at(-1)).toBe(`${texts.at(-2)} (stopped)`);
    expect(texts.filter((t) => t?.endsWith('(stopped)'))).toHaveLength(1);
    expect(postsTo(cometchat.calls, 'live-fay').map((c) => c.body.data.text)).toEqual([texts[0], 'quick answer to and then?']);
    const scrape = new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(scrape.count('cometchat_bot_stops_total', { bot: BOT_UID })).toBeGreaterThanOrEqual(1);
  }, 40_000);

  it('/stop with nothing running answers "Nothing to stop.", and /help lists /stop', async () => {
    await app.post(direct('/stop', 'live-gus'));
    await waitFor('the answer', () => postsTo(cometchat.calls, 'live-gus').length === 1);
    await app.post(direct('/help', 'live-gus'));
    await waitFor('the help', () => postsTo(cometchat.calls, 'live-gus').length === 2);
    const [nothing, help] = postsTo(cometchat.calls, 'live-gus').map((c) => c.body.data.text);
    expect(nothing).toBe('Nothing to stop.');
    expect(help).toMatch(/\/stop — /);
  });
});

/** A team's slow streaming responder that takes interruptions: a new message restarts its answer, covering both. */
@Responder({ name: 'ponder', pattern: /^ponder/, onNewMessage: 'interrupt' })
class PonderResponder implements BotResponder {
  static runs: string[][] = [];

  async *respond({ batch, signal }: ResponderContext): AsyncGenerator<ResponderStreamPart> {
    const texts = batch.map((event) => event.text ?? '');
    PonderResponder.runs.push(texts);
    yield `Thinking about: ${texts.join(' + ')}.`;
    for (let n = 1; n <= 6; n++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      signal.throwIfAborted();
      yield ` Step ${n}.`;
    }
  }
}

@Module({ providers: [PonderResponder] })
class PonderModule {}

describe("live turns: a responder that takes interruptions (onNewMessage: 'interrupt')", () => {
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start('live-interrupt', { COMETCHAT_API_URL: cometchat.url }, [PonderModule]);
  });
  afterAll(async () => {
    await app?.close();
    await cometchat.stop();
  });

  it('aborts the running answer when a message it takes arrives, and answers both in the same message', async () => {
    await app.post(direct('ponder this', 'int-ana'));
    const message = await waitFor('the progress post', () => cometchat.messages.find((m) => m.receiver === 'int-ana'));
    await app.post(direct('ponder that too', 'int-ana'));
    const whole = 'Thinking about: ponder this + ponder that too. Step 1. Step 2. Step 3. Step 4. Step 5. Step 6.';
    await waitFor('the answer to both', () => cometchat.message(message.id)?.data?.text === whole, { timeoutMs: 20_000 });
    await app.drained();
    // One turn, run again with both messages at once: one message, no answer of its own for the second.
    expect(PonderResponder.runs).toEqual([['ponder this'], ['ponder this', 'ponder that too']]);
    expect(postsTo(cometchat.calls, 'int-ana')).toHaveLength(1);
    expect(cometchat.messages.filter((m) => m.receiver === 'int-ana')).toHaveLength(1);
  }, 30_000);

  it('leaves a message it does not take in line: the running answer ends, then that message is answered', async () => {
    PonderResponder.runs = [];
    await app.post(direct('ponder slowly', 'int-ben'));
    const message = await waitFor('the progress post', () => cometchat.messages.find((m) => m.receiver === 'int-ben'));
    await app.post(direct('/help', 'int-ben'));
    await waitFor('both answered', () => cometchat.messages.filter((m) => m.receiver === 'int-ben').length === 2, { timeoutMs: 20_000 });
    await app.drained();
    expect(PonderResponder.runs).toEqual([['ponder slowly']]);
    expect(cometchat.message(message.id)?.data?.text).toMatch(/Step 6\.$/);
  }, 30_000);
});

describe('live turns: edits spend the send budget (COMETCHAT_MAX_REQUESTS_PER_MINUTE)', () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    model.answer = () => slowAnswer(700);
    app = await TestApp.start('live-budget', { ...withModel(cometchat, model), COMETCHAT_MAX_REQUESTS_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await app?.close();
    await model.stop();
    await cometchat.stop();
  });

  it('makes at most 3 calls in the minute, skips the edits the budget has no room for, and sends the final one after', async () => {
    await app.post(direct('tell me at length', 'budget-ana'));
    const message = await waitFor('the post', () => cometchat.messages.find((m) => m.receiver === 'budget-ana'));
    await waitFor('the whole answer', () => cometchat.message(message.id)?.data?.text === LONG_ANSWER, { timeoutMs: 90_000 });
    await app.drained();
    const calls = cometchat.calls.filter((c) => c.answer === 200);
    const first = calls[0].at;
    // The limiter's window: no more than 3 calls (the post and two edits) until it has passed.
    expect(calls.filter((c) => c.at - first < 55_000).length).toBeLessThanOrEqual(3);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(calls.at(-1)!.at - first).toBeGreaterThanOrEqual(55_000);
    const scrape = new Scrape((await app.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(scrape.count('cometchat_bot_stream_edits_total', { bot: BOT_UID, outcome: 'skipped' })).toBeGreaterThan(0);
  }, 120_000);
});
