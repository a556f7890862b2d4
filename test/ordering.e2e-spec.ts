import { Module } from '@nestjs/common';
import { BotResponder, ResponderContext, Responder, textReply, TurnFailedError } from '../src/responders';
import { FakeCometChat, RecordedCall } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Every turn that ran, with when it started and ended (the apps run in this process). */
const turns: Array<{ conversation: string; text: string; start: number; end: number }> = [];
/** Words whose turn has begun. */
const begun = new Set<string>();
/** Words whose turn fails for good while listed here. */
const failing = new Set<string>();
/** Words whose turn throws once (and is retried). */
const flaky = new Set<string>();

/** `<ms> <word>`: answers <word> after <ms>; `<ms> <word> x3`: says <word>-1, -2, -3. */
@Responder({ name: 'timed-turn', pattern: /^(\d+) (\S+)( x3)?$/ })
class TimedTurnResponder implements BotResponder {
  async respond({ event, match }: ResponderContext) {
    const start = Date.now();
    const word = match![2];
    begun.add(word);
    try {
      await new Promise((resolve) => setTimeout(resolve, Number(match![1])));
      if (flaky.delete(word)) throw new Error(`${word} is flaky`);
      if (failing.has(word)) throw new TurnFailedError(`${word} fails`);
      return match![3] ? [1, 2, 3].map((n) => textReply(`${word}-${n}`)) : textReply(word);
    } finally {
      turns.push({ conversation: event.conversation.id, text: word, start, end: Date.now() });
    }
  }
}

@Module({ providers: [TimedTurnResponder] })
class TimedTurnModule {}

const delivered = (calls: RecordedCall[], receiver: string) =>
  calls.filter((c) => c.body.receiver === receiver && c.answer === 200).map((c) => c.body.data.text as string);

/** No two turns of the conversation overlapped in time. */
function expectNoOverlap(conversation: string): void {
  const runs = turns.filter((t) => t.conversation === conversation).sort((a, b) => a.start - b.start);
  const overlaps = runs
    .slice(1)
    .filter((run, i) => run.start < runs[i].end)
    .map((run, i) => `${runs[i].text} / ${run.text}`);
  expect(overlaps).toEqual([]);
}

describe('conversation order', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    const env = {
      COMETCHAT_API_URL: cometchat.url,
      EVENTS_CONCURRENCY: '8',
      REPLIES_CONCURRENCY: '8',
      RETRY_BACKOFF_MS: '300',
      EVENTS_ATTEMPTS: '3',
      // The recovery check, far longer than any test: every hand-off below happens without it.
      JOB_LOCK_MS: '30000',
    };
    app = await TestApp.start('ordering', env, [TimedTurnModule]);
    // A second process on the same Redis and prefix: the order holds across both.
    second = await TestApp.start('ordering', { ...env, QUEUE_PREFIX: app.prefix }, [TimedTurnModule]);
  });
  afterAll(async () => {
    await second.close({ keepKeys: true });
    await app.close();
    await cometchat.stop();
  });

  const message = (sender: string, text: string, id?: string) => {
    const callback = fixture('user-text');
    callback.data.sender = sender;
    callback.data.data.text = text;
    if (id !== undefined) callback.data.id = id;
    return callback;
  };
  const post = async (target: TestApp, callback: unknown) => expect((await target.post(callback)).json()).toMatchObject({ status: 'accepted' });
  const started = (word: string) => waitFor(`turn ${word} to start`, () => begun.has(word));

  it('never runs a message with a lower id beside the turn that started before it arrived; it runs next, late', async () => {
    const sender = 'late-user';
    await post(app, message(sender, '600 five-hundred', '8000000500'));
    await started('five-hundred');
    await post(second, message(sender, '10 one-hundred', '8000000100'));
    await post(app, message(sender, '10 six-hundred', '8000000600'));

    await waitFor('three replies', () => delivered(cometchat.calls, sender).length === 3);
    expect(delivered(cometchat.calls, sender)).toEqual(['five-hundred', 'one-hundred', 'six-hundred']);
    expectNoOverlap(sender);
  });

  it("sends turn N+1 only after all of turn N, even when N+1 is a lower id and N's first send is slow", async () => {
    const sender = 'reply-order-user';
    cometchat.answerNext({ status: 200, delayMs: 500 });
    await post(app, message(sender, '10 big x3', '8100000500'));
    await waitFor('the first, slow send', () => cometchat.calls.some((c) => c.body.receiver === sender));
    await post(app, message(sender, '1 small', '8100000100'));

    await waitFor('four replies', () => delivered(cometchat.calls, sender).length === 4);
    expect(delivered(cometchat.calls, sender)).toEqual(['big-1', 'big-2', 'big-3', 'small']);
  });

  it('compares numeric ids exactly at any length, and takes other ids in the order they arrived', async () => {
    const numeric = 'long-id-user';
    await post(app, message(numeric, '400 first', '1'));
    await started('first');
    // Over 2^53 and over 13 digits: as numbers these two would be equal and order by a clock.
    await post(second, message(numeric, '1 third', '9007199254740993'));
    await post(app, message(numeric, '1 second', '9007199254740992'));
    await post(second, message(numeric, '1 fourth', '123456789012345678901234567890'));

    const named = 'named-id-user';
    await post(app, message(named, '400 one', 'msg-x'));
    await started('one');
    await post(second, message(named, '1 two', 'msg-c'));
    await post(app, message(named, '1 three', 'msg-b'));
    await post(second, message(named, '1 four', 'msg-a'));

    await waitFor('every reply', () => delivered(cometchat.calls, numeric).length === 4 && delivered(cometchat.calls, named).length === 4);
    expect(delivered(cometchat.calls, numeric)).toEqual(['first', 'second', 'third', 'fourth']);
    expect(delivered(cometchat.calls, named)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('hands the turn on at once: a backlog drains in order without polling, each job taken at most twice', async () => {
    const sender = 'backlog-user';
    await post(app, message(sender, '300 w0'));
    for (let i = 1; i < 60; i++) await post(i % 2 ? second : app, message(sender, `1 w${i}`));

    const began = Date.now();
    await waitFor('the backlog', () => delivered(cometchat.calls, sender).length === 60, { timeoutMs: 20_000 });
    // With a 30 s recovery check, anything but a hand-off would take minutes.
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(delivered(cometchat.calls, sender)).toEqual(Array.from({ length: 60 }, (_, i) => `w${i}`));
    expectNoOverlap(sender);
    const jobs = (await app.jobs('events')).filter((j) => j.data.data.sender === sender);
    expect(Math.max(...jobs.map((j) => j.attemptsStarted))).toBeLessThanOrEqual(2);
  });

  it('keeps the turn through a retry: the next message waits for the retried one', async () => {
    const sender = 'retry-user';
    flaky.add('wobbly');
    await post(app, message(sender, '10 wobbly'));
    await post(app, message(sender, '1 steady'));
    await waitFor('both replies', () => delivered(cometchat.calls, sender).length === 2, { timeoutMs: 10_000 });
    expect(delivered(cometchat.calls, sender)).toEqual(['wobbly', 'steady']);
    expectNoOverlap(sender);
  });

  it('runs a failed message replayed by hand in its place in line, never beside the current turn', async () => {
    const sender = 'replay-user';
    failing.add('broken');
    const broken = message(sender, '1 broken');
    await post(app, broken);
    const failed = await waitFor('the failed turn', async () => {
      const job = (await app.jobs('events')).find((j) => j.data.data.id === broken.data.id);
      return (await job?.isFailed()) && job;
    });

    failing.delete('broken');
    await post(app, message(sender, '500 current'));
    await started('current');
    await failed.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });

    await waitFor('both replies', () => delivered(cometchat.calls, sender).length === 2, { timeoutMs: 10_000 });
    expect(delivered(cometchat.calls, sender)).toEqual(['current', 'broken']);
    expectNoOverlap(sender);
  });

  it('releases a conversation whose turn failed for good: the next message is answered', async () => {
    const sender = 'released-user';
    failing.add('doomed');
    await post(app, message(sender, '1 doomed'));
    await post(app, message(sender, '1 fine'));
    await waitFor('the next answer', () => delivered(cometchat.calls, sender).length === 1, { timeoutMs: 10_000 });
    expect(delivered(cometchat.calls, sender)).toEqual(['fine']);
  });
});
