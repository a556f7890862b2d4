import { Module } from '@nestjs/common';
import { BotEvent, BotResponder, ResponderContext, Responder, textReply, TurnFailedError } from '../src/responders';
import { FakeCometChat, RecordedCall } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { freePort, ServiceProcess } from './support/service-process';
import { deleteKeys, TestApp, testEnv } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Every turn the test responders ran: who ran it, the batch's texts (oldest first) and ctx.event's text. */
const turns: Array<{ responder: string; sender: string; texts: string[]; event: string }> = [];
/** A turn whose batch starts with one of these texts waits until the test opens its gate. */
const gates = new Map<string, { open: () => void; opened: Promise<void> }>();
/** A turn whose batch holds one of these texts fails for good. */
const failing = new Set<string>();

function hold(text: string): () => void {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  gates.set(text, { open, opened });
  return open;
}

async function turn(responder: string, { event, batch }: ResponderContext) {
  const texts = batch.map((e: BotEvent) => e.text ?? '');
  turns.push({ responder, sender: event.sender.uid, texts, event: event.text ?? '' });
  await gates.get(texts[0])?.opened;
  if (texts.some((text) => failing.has(text))) throw new TurnFailedError('a failing batch');
  return textReply(texts.join(' + '));
}

/** Coalesces: a burst that waited behind its previous turn is answered once. */
@Responder({ name: 'burst', coalesce: true })
class BurstResponder implements BotResponder {
  match(event: BotEvent) {
    return event.sender.uid.startsWith('burst-') && !event.text?.startsWith('/');
  }
  respond(ctx: ResponderContext) {
    return turn('burst', ctx);
  }
}

/** The same, without coalescing: one turn per message, as always. */
@Responder({ name: 'one-by-one' })
class OneByOneResponder implements BotResponder {
  match(event: BotEvent) {
    return event.sender.uid.startsWith('plain-');
  }
  respond(ctx: ResponderContext) {
    return turn('one-by-one', ctx);
  }
}

/** Another responder's message inside a burst: it ends the batch and gets its own turn. */
@Responder({ name: 'status', commands: { status: 'says the status' } })
class StatusResponder implements BotResponder {
  respond() {
    return textReply('status ok');
  }
}

@Module({ providers: [BurstResponder, OneByOneResponder, StatusResponder] })
class CoalescingTestModule {}

const delivered = (calls: RecordedCall[], receiver: string) =>
  calls.filter((c) => c.body.receiver === receiver && c.answer === 200).map((c) => c.body.data.text as string);

const message = (sender: string, text: string) => {
  const callback = fixture('user-text');
  callback.data.sender = sender;
  callback.data.data.text = text;
  return callback;
};

describe('burst coalescing', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    const env = { COMETCHAT_API_URL: cometchat.url, EVENTS_CONCURRENCY: '8', JOB_LOCK_MS: '30000', APOLOGY_TEXT: 'Sorry.' };
    app = await TestApp.start('coalescing', env, [CoalescingTestModule]);
  });
  afterAll(async () => {
    await app.close();
    await cometchat.stop();
  });

  const post = async (callback: unknown, status = 'accepted') => expect((await app.post(callback)).json()).toMatchObject({ status });
  const started = (sender: string, first: string) =>
    waitFor(`the turn of "${first}" to start`, () => turns.some((t) => t.sender === sender && t.texts[0] === first));
  const turnsOf = (sender: string) => turns.filter((t) => t.sender === sender).map((t) => t.texts);
  const jobOf = async (id: string) => (await app.jobs('events')).find((j) => j.data.data.id === id);

  it('answers the messages that arrived during the previous turn as one turn, oldest first, once; each still deduplicated', async () => {
    const sender = 'burst-user';
    const hi = message(sender, 'hi');
    const need = message(sender, 'I need');
    const help = message(sender, 'help with my order');
    const open = hold('hi');
    await post(hi);
    await started(sender, 'hi');
    await post(need);
    await post(help);
    open();

    await waitFor('two answers', () => delivered(cometchat.calls, sender).length === 2);
    expect(turns.filter((t) => t.sender === sender)).toEqual([
      { responder: 'burst', sender, texts: ['hi'], event: 'hi' },
      // ctx.event is the newest of the batch.
      { responder: 'burst', sender, texts: ['I need', 'help with my order'], event: 'help with my order' },
    ]);

    // A redelivery of an absorbed message, or of the one that absorbed it, is a duplicate and is not answered.
    await post(help, 'duplicate');
    await post(need, 'duplicate');
    const absorbed = await waitFor("the absorbed message's job to end", async () => {
      const job = await jobOf(help.data.id);
      return (await job?.isCompleted()) && job;
    });
    expect(absorbed.returnvalue).toEqual({ replies: [], coalescedInto: need.data.id });
    expect((await jobOf(need.data.id))!.returnvalue).toMatchObject({
      responder: 'burst',
      replies: [`reply-${need.data.id}-0`],
      absorbed: [help.data.id],
    });
    expect(await app.queue('replies').getJob(`reply-${help.data.id}-0`)).toBeUndefined();

    // Replies go in turn order: once the next message is answered, anything said before it has been sent.
    await post(message(sender, 'bye'));
    await waitFor('the next answer', () => delivered(cometchat.calls, sender).length === 3);
    expect(delivered(cometchat.calls, sender)).toEqual(['hi', 'I need + help with my order', 'bye']);
  });

  it('answers a message that arrives while the coalesced turn runs in the next turn: never stranded', async () => {
    const sender = 'burst-late-user';
    const openOne = hold('one');
    await post(message(sender, 'one'));
    await started(sender, 'one');
    await post(message(sender, 'two'));
    await post(message(sender, 'three'));
    const openTwo = hold('two');
    openOne();
    await started(sender, 'two'); // the batch [two, three] is taken: "four" comes after it
    await post(message(sender, 'four'));
    openTwo();

    await waitFor('three answers', () => delivered(cometchat.calls, sender).length === 3);
    expect(delivered(cometchat.calls, sender)).toEqual(['one', 'two + three', 'four']);
    expect(turnsOf(sender)).toEqual([['one'], ['two', 'three'], ['four']]);
  });

  it('ends the batch at a message another responder takes, which gets its own turn, in order', async () => {
    const sender = 'burst-command-user';
    const open = hold('hi');
    await post(message(sender, 'hi'));
    await started(sender, 'hi');
    for (const text of ['I need', '/status', 'thanks', 'a lot']) await post(message(sender, text));
    open();

    await waitFor('four answers', () => delivered(cometchat.calls, sender).length === 4);
    expect(delivered(cometchat.calls, sender)).toEqual(['hi', 'I need', 'status ok', 'thanks + a lot']);
  });

  it('apologises once for a batch whose turn failed for good, and a replay of that job answers the same batch', async () => {
    const sender = 'burst-failing-user';
    const need = message(sender, 'I need');
    failing.add('oops');
    const open = hold('hi');
    await post(message(sender, 'hi'));
    await started(sender, 'hi');
    await post(need);
    await post(message(sender, 'oops'));
    open();

    await waitFor('the apology', () => delivered(cometchat.calls, sender).length === 2);
    expect(delivered(cometchat.calls, sender)).toEqual(['hi', 'Sorry.']);
    const failed = await waitFor('the failed turn', async () => {
      const job = await jobOf(need.data.id);
      return (await job?.isFailed()) && job;
    });
    failing.delete('oops');
    const openLater = hold('later');
    await post(message(sender, 'later'));
    await started(sender, 'later');
    // Replayed while "later" runs: it waits in line, and "after" waits behind it.
    await failed.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    await waitFor('the replay to wait for its turn', async () => (await failed.getState()) === 'delayed');
    await post(message(sender, 'after'));
    openLater();

    await waitFor('every answer', () => delivered(cometchat.calls, sender).length === 5);
    // The replay answers the batch it recorded, not the message waiting behind it then.
    expect(delivered(cometchat.calls, sender)).toEqual(['hi', 'Sorry.', 'later', 'I need + oops', 'after']);
    expect(turnsOf(sender)).toEqual([['hi'], ['I need', 'oops'], ['later'], ['I need', 'oops'], ['after']]);
  });

  it('leaves a responder that does not coalesce as it was: each message answered once, in order', async () => {
    const sender = 'plain-user';
    const open = hold('hi');
    await post(message(sender, 'hi'));
    await started(sender, 'hi');
    await post(message(sender, 'I need'));
    await post(message(sender, 'help with my order'));
    open();

    await waitFor('three answers', () => delivered(cometchat.calls, sender).length === 3);
    expect(delivered(cometchat.calls, sender)).toEqual(['hi', 'I need', 'help with my order']);
    expect(turnsOf(sender)).toEqual([['hi'], ['I need'], ['help with my order']]);
  });

  describe('when the process dies mid-turn', () => {
    const spawned: ServiceProcess[] = [];
    let env: Record<string, string>;
    let api: TestApp;

    beforeAll(async () => {
      env = { ...testEnv('coalescing-kill'), COMETCHAT_API_URL: cometchat.url, JOB_LOCK_MS: '2000', LOG_LEVEL: 'warn' };
      api = await TestApp.start('coalescing-kill', { ...env, APP_ROLE: 'api' });
    });
    afterAll(async () => {
      for (const service of spawned) {
        service.kill('SIGKILL');
        await service.exited();
      }
      await api.close();
      await deleteKeys(env.QUEUE_PREFIX);
    });

    /** A worker process with the coalescing responder of test/support/coalescing-service.ts. */
    async function worker(extra: Record<string, string> = {}): Promise<ServiceProcess> {
      const service = ServiceProcess.spawn(
        { ...env, APP_ROLE: 'worker', PORT: String(await freePort()), ...extra },
        'test/support/coalescing-service.ts',
      );
      spawned.push(service);
      await waitFor('the worker to listen', () => service.output.includes('listening on'), { timeoutMs: 30_000 });
      return service;
    }

    it('runs the same batch again after a SIGKILL: none lost, none answered twice, a later message not pulled in', async () => {
      const sender = 'burst-killed-user';
      const burst = ['hi', 'I need', 'help with my order'].map((text) => message(sender, text));
      for (const callback of burst) expect((await api.post(callback)).json()).toMatchObject({ status: 'accepted' });

      // The first worker takes the whole backlog as one turn, records it, and dies before answering.
      const first = await worker({ HANG_TURNS: '1' });
      await waitFor('the coalesced turn to start', () => first.output.includes('turn: ["hi","I need","help with my order"]'));
      first.kill('SIGKILL');
      await first.exited();
      // Waiting behind the interrupted turn: without the recorded batch, the re-run would take it in.
      expect((await api.post(message(sender, 'late'))).json()).toMatchObject({ status: 'accepted' });

      const second = await worker();
      await waitFor('both answers', () => delivered(cometchat.calls, sender).length === 2, { timeoutMs: 30_000 });
      expect(delivered(cometchat.calls, sender)).toEqual(['hi + I need + help with my order', 'late']);
      expect(second.output).toContain('turn: ["hi","I need","help with my order"]');
      expect(second.output).toContain('turn: ["late"]');
      for (const absorbed of burst.slice(1)) {
        expect((await api.post(absorbed)).json()).toMatchObject({ status: 'duplicate' });
        const job = await waitFor('the absorbed job to end', async () => {
          const found = (await api.jobs('events')).find((j) => j.data.data.id === absorbed.data.id);
          return (await found?.isCompleted()) && found;
        });
        expect(job.returnvalue).toEqual({ replies: [], coalescedInto: burst[0].data.id });
      }
    }, 120_000);
  });
});
