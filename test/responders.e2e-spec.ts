import { Module } from '@nestjs/common';
import { BotEvent, BotResponder, ResponderContext, Responder, textReply, TurnFailedError } from '../src/responders';
import { ExampleRespondersModule } from '../src/responders/examples/example-responders.module';
import { FakeCometChat, RecordedCall } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** `sleep <ms> <word>`: answers <word> after <ms>; `hang`: never answers; `fail`: fails the turn for good. */
@Responder({ name: 'timed', priority: 5, pattern: /^sleep (\d+) (\S+)$/ })
class TimedResponder implements BotResponder {
  async respond({ match }: ResponderContext) {
    await new Promise((resolve) => setTimeout(resolve, Number(match![1])));
    return textReply(match![2]);
  }
}

@Responder({ name: 'trouble', priority: 5, kinds: ['text'] })
class TroubleResponder implements BotResponder {
  match(event: BotEvent) {
    return event.text === 'hang' || event.text === 'fail';
  }
  respond({ event }: ResponderContext) {
    if (event.text === 'fail') throw new TurnFailedError('no such thing');
    return new Promise<never>(() => undefined);
  }
}

/** `count`: counts this conversation's turns in conversation state; `three`: says three things. */
@Responder({ name: 'stateful', priority: 5, pattern: /^(count|three)$/ })
class StatefulResponder implements BotResponder {
  async respond({ event, state }: ResponderContext) {
    if (event.text === 'three') return [textReply('one'), textReply('two'), textReply('three')];
    const n = ((await state.get<number>('n')) ?? 0) + 1;
    await state.set('n', n);
    return textReply(`turn ${n}`);
  }
}

@Module({ providers: [TimedResponder, TroubleResponder, StatefulResponder] })
class TestRespondersModule {}

const textsTo = (calls: RecordedCall[], receiver: string) =>
  calls.filter((c) => c.body.receiver === receiver && c.answer === 200).map((c) => c.body.data.text);

const textCallback = (text: string, { sender = 'cometchat-uid-1', group }: { sender?: string; group?: string } = {}) => {
  const callback = fixture(group ? 'group-mention' : 'user-text');
  callback.data.sender = sender;
  callback.data.data.text = group ? `<@uid:support-bot> ${text}` : text;
  if (group) callback.data.receiver = group;
  return callback;
};

describe('responders, end to end', () => {
  let cometchat: FakeCometChat;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterAll(() => cometchat.stop());

  describe('GROUP_CHAT_SETTING', () => {
    const answerFor = async (app: TestApp, callback: unknown) => (await app.post(callback)).json();
    const plainGroupText = () => {
      const callback = fixture('group-mention');
      callback.data.data.text = 'just chatting';
      delete callback.data.data.mentions;
      return callback;
    };

    it('mentionedMessages (default): only group messages that mention the bot; one-to-one always', async () => {
      const app = await TestApp.start('group-mentioned', { APP_ROLE: 'api' });
      try {
        expect(await answerFor(app, plainGroupText())).toMatchObject({ status: 'ignored', reason: 'group-setting' });
        expect(await answerFor(app, fixture('group-slash-command'))).toMatchObject({ status: 'ignored', reason: 'group-setting' });
        expect(await answerFor(app, fixture('group-mention'))).toMatchObject({ status: 'accepted' });
        expect(await answerFor(app, fixture('user-text'))).toMatchObject({ status: 'accepted' });
      } finally {
        await app.close();
      }
    });

    it('slashedMessages: only slash commands in groups', async () => {
      const app = await TestApp.start('group-slashed', { APP_ROLE: 'api', GROUP_CHAT_SETTING: 'slashedMessages' });
      try {
        expect(await answerFor(app, fixture('group-slash-command'))).toMatchObject({ status: 'accepted' });
        expect(await answerFor(app, fixture('group-mention'))).toMatchObject({ status: 'ignored', reason: 'group-setting' });
        expect(await answerFor(app, fixture('user-text'))).toMatchObject({ status: 'accepted' });
      } finally {
        await app.close();
      }
    });

    it('allMessages: every group message', async () => {
      const app = await TestApp.start('group-all', { APP_ROLE: 'api', GROUP_CHAT_SETTING: 'allMessages' });
      try {
        expect(await answerFor(app, plainGroupText())).toMatchObject({ status: 'accepted' });
      } finally {
        await app.close();
      }
    });
  });

  describe("with a team's responders", () => {
    let app: TestApp;
    let second: TestApp;

    beforeAll(async () => {
      const env = {
        COMETCHAT_API_URL: cometchat.url,
        EVENTS_CONCURRENCY: '8',
        REPLIES_CONCURRENCY: '8',
        RESPONDER_TIMEOUT_MS: '700',
        APOLOGY_TEXT: 'Sorry, something went wrong on my side.',
        RETRY_BACKOFF_MS: '100',
      };
      app = await TestApp.start('responders', env, [TestRespondersModule]);
      // A second service process on the same Redis and prefix: ordering must hold across both.
      second = await TestApp.start('responders', { ...env, QUEUE_PREFIX: app.prefix }, [TestRespondersModule]);
    });
    afterAll(async () => {
      await second.close({ keepKeys: true });
      await app.close();
    });

    it('handles one conversation one turn at a time, in message order, across processes', async () => {
      const sender = 'ordered-user';
      const first = textCallback('sleep 600 first', { sender });
      const rest = ['sleep 10 second', 'sleep 10 third', 'sleep 10 fourth'].map((t) => textCallback(t, { sender }));
      const other = textCallback('sleep 10 elsewhere', { sender: 'someone-else' });

      expect((await app.post(first)).json()).toMatchObject({ status: 'accepted' });
      for (const [i, callback] of rest.entries()) {
        expect((await (i % 2 ? app : second).post(callback)).json()).toMatchObject({ status: 'accepted' });
      }
      await app.post(other);

      await waitFor('four replies', () => textsTo(cometchat.calls, sender).length === 4);
      expect(textsTo(cometchat.calls, sender)).toEqual(['first', 'second', 'third', 'fourth']);
      // Another conversation did not wait behind the slow one.
      const at = (receiver: string, text: string) => cometchat.calls.find((c) => c.body.receiver === receiver && c.body.data.text === text)!.at;
      expect(at('someone-else', 'elsewhere')).toBeLessThan(at(sender, 'first'));
    });

    it('keeps conversation state in Redis between turns', async () => {
      const sender = 'counting-user';
      await app.post(textCallback('count', { sender }));
      await second.post(textCallback('count', { sender }));
      await waitFor('two turns', () => textsTo(cometchat.calls, sender).length === 2);
      expect(textsTo(cometchat.calls, sender)).toEqual(['turn 1', 'turn 2']);
      const ttl = await app.redis().ttl(`${app.prefix}:state:user-${sender}`);
      expect(ttl).toBeGreaterThan(0);
    });

    it('sends several replies of one turn in order, even when the first is slow', async () => {
      const sender = 'three-user';
      cometchat.answerNext({ status: 200, delayMs: 400 });
      await app.post(textCallback('three', { sender }));
      await waitFor('three replies', () => textsTo(cometchat.calls, sender).length === 3);
      expect(textsTo(cometchat.calls, sender)).toEqual(['one', 'two', 'three']);
    });

    it("fails a hanging responder's turn after its timeout, apologises, and the conversation moves on", async () => {
      const sender = 'hanging-user';
      const hang = textCallback('hang', { sender });
      await app.post(hang);
      await app.post(textCallback('sleep 1 after', { sender }));
      await waitFor('the apology and the next answer', () => textsTo(cometchat.calls, sender).length === 2, { timeoutMs: 10_000 });
      expect(textsTo(cometchat.calls, sender)).toEqual(['Sorry, something went wrong on my side.', 'after']);

      const job = (await app.jobs('events')).find((j) => j.data.data.id === hang.data.id)!;
      expect(await job.getState()).toBe('failed');
      expect(job.failedReason).toMatch(/did not answer within 700 ms/);
      expect(job.attemptsMade).toBe(1);
    });

    it('fails a turn for good without retries when the responder says so', async () => {
      const sender = 'failing-user';
      const failing = textCallback('fail', { sender });
      await app.post(failing);
      await waitFor('the apology', () => textsTo(cometchat.calls, sender).length === 1);
      const job = (await app.jobs('events')).find((j) => j.data.data.id === failing.data.id)!;
      await waitFor('the job to be failed', async () => (await job.getState()) === 'failed');
      expect((await app.queue('events').getJob(job.id!))!.attemptsMade).toBe(1);
    });
  });

  it('replies in the thread when REPLY_IN_THREAD is on', async () => {
    const app = await TestApp.start('threads', { COMETCHAT_API_URL: cometchat.url, REPLY_IN_THREAD: 'true' });
    try {
      const callback = fixture('group-thread-reply');
      await app.post(callback);
      const call = await waitFor('the thread reply', () => cometchat.calls.find((c) => c.body.muid === `reply-${callback.data.id}-0`));
      expect(call.path).toBe(`/v3/messages/${callback.data.parentId}/thread`);
      expect(call.headers.onbehalfof).toBe('support-bot');
      expect(call.body).toMatchObject({ receiver: 'ops-room', receiverType: 'group', data: { text: "and yesterday's?" } });
      expect(call.body.parentId).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('says the fallback text when nothing answers, with the echo switched off', async () => {
    const app = await TestApp.start('fallback', {
      COMETCHAT_API_URL: cometchat.url,
      ECHO_ENABLED: 'false',
      FALLBACK_TEXT: "I didn't get that. Try /help.",
    });
    try {
      const image = fixture('user-image');
      const text = fixture('user-text');
      await app.post(image);
      await app.post(text);
      const reply = (id: string) => cometchat.calls.find((c) => c.body.muid === `reply-${id}-0`);
      await waitFor('both fallbacks', () => reply(image.data.id) && reply(text.data.id));
      expect(reply(image.data.id)!.body.data.text).toBe("I didn't get that. Try /help.");
      expect(reply(text.data.id)!.body.data.text).toBe("I didn't get that. Try /help.");
    } finally {
      await app.close();
    }
  });

  it('runs the example responders and lists their commands in /help', async () => {
    const app = await TestApp.start('examples', { COMETCHAT_API_URL: cometchat.url }, [ExampleRespondersModule]);
    try {
      const order = textCallback('/order 5521', { sender: 'example-user' });
      const help = textCallback('/help', { sender: 'example-user' });
      const faq = textCallback('What are your opening hours?', { sender: 'example-user' });
      await app.post(order);
      await app.post(help);
      await app.post(faq);
      await waitFor('three answers', () => textsTo(cometchat.calls, 'example-user').length === 3);
      const [orderText, helpText, faqText] = textsTo(cometchat.calls, 'example-user');
      expect(orderText).toBe('Order #5521 is shipped: arrives Thursday.');
      expect(helpText).toContain('/order — Order status: /order <order number>');
      expect(helpText).toContain('/help — List what I can do');
      expect(faqText).toMatch(/open Monday to Friday/);
    } finally {
      await app.close();
    }
  });
});
