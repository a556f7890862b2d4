import { UnrecoverableError } from 'bullmq';
import type { BotEvent, BotReply } from '../messages';
import type { BotResponder, ParsedCommand, ResponderContext } from './bot-responder.interface';
import { InMemoryConversationState } from './conversation-state';
import { textReply } from './reply.builders';
import { Responder, responderOptionsOf, ResponderOptions } from './responder.decorator';
import { kindOf, MAX_REPLIES_PER_TURN, parseCommand, RegisteredResponder, ResponderRouter, RouterSettings } from './responder-router';
import { ResponderTimeoutError, TurnFailedError } from './turn-failed.error';

const event = (fields: Partial<BotEvent> = {}): BotEvent => ({
  id: '1045',
  kind: 'message',
  bot: 'support-bot',
  sender: { uid: 'cometchat-uid-1' },
  conversation: { type: 'user', id: 'cometchat-uid-1' },
  category: 'message',
  type: 'text',
  mentionsBot: false,
  attachments: [],
  receivedAt: 0,
  raw: {},
  ...fields,
});
const text = (t: string, fields: Partial<BotEvent> = {}) => event({ text: t, ...fields });

/** A responder that answers with its own name, so the test sees which one took the event. */
const named = (name: string, options: Omit<ResponderOptions, 'name'> = {}, extra: Partial<BotResponder> = {}): RegisteredResponder => ({
  options: { name, ...options },
  instance: { respond: () => textReply(name), ...extra },
});

const router = (entries: RegisteredResponder[], settings: Partial<RouterSettings> = {}) =>
  new ResponderRouter(entries, { timeoutMs: 5_000, ...settings });

const run = (r: ResponderRouter, e: BotEvent) => r.respond(e, new InMemoryConversationState());

/** Which responder takes the event (undefined: none). */
const taker = async (entries: RegisteredResponder[], e: BotEvent) => (await run(router(entries), e)).responder;

describe('parseCommand', () => {
  it('splits a slash command into name and arguments', () => {
    expect(parseCommand('/order 5521')).toEqual({ name: 'order', args: ['5521'], argText: '5521' });
  });

  it('lowercases the name, keeps the arguments as typed and splits on any run of spaces', () => {
    expect(parseCommand('/Order  a  B')).toEqual({ name: 'order', args: ['a', 'B'], argText: 'a  B' });
  });

  it('takes a command with no arguments', () => {
    expect(parseCommand('/help')).toEqual({ name: 'help', args: [], argText: '' });
  });

  it('ignores whitespace around the whole text', () => {
    expect(parseCommand('  /order 5521  ')).toEqual({ name: 'order', args: ['5521'], argText: '5521' });
  });

  it('keeps line breaks in argText', () => {
    expect(parseCommand('/note first line\nsecond line')).toEqual({
      name: 'note',
      args: ['first', 'line', 'second', 'line'],
      argText: 'first line\nsecond line',
    });
  });

  it.each([
    ['text without a slash', 'order 5521'],
    ['a slash alone', '/'],
    ['a slash followed by a space', '/ order'],
    ['a slash later in the text', 'see /order 5521'],
    ['the empty string', ''],
    ['no text at all', undefined],
  ])('is undefined for %s', (_, input) => {
    expect(parseCommand(input)).toBeUndefined();
  });
});

describe('kindOf', () => {
  it.each([
    ['message', 'text', 'text'],
    ['message', 'image', 'image'],
    ['message', 'file', 'file'],
    ['message', 'audio', 'audio'],
    ['message', 'video', 'video'],
    ['custom', 'location', 'custom'],
    ['interactive', 'form', 'interactive'],
  ])('is the type for messages and the category otherwise (%s/%s → %s)', (category, type, kind) => {
    expect(kindOf(event({ category, type }))).toBe(kind);
  });
});

describe('ResponderRouter routing', () => {
  describe('by commands', () => {
    const order = named('order', { commands: { order: 'Order status' } });

    it('takes a declared command and gives the responder the parsed command', async () => {
      let seen: ParsedCommand | undefined;
      const entry = named(
        'order',
        { commands: { order: 'Order status' } },
        {
          respond: (ctx: ResponderContext) => {
            seen = ctx.command;
            return textReply('ok');
          },
        },
      );
      expect(await taker([entry], text('/order 5521'))).toBe('order');
      expect(seen).toEqual({ name: 'order', args: ['5521'], argText: '5521' });
    });

    it('takes the command whatever its case', async () => {
      expect(await taker([order], text('/ORDER 5521'))).toBe('order');
    });

    it('takes a command declared with capitals', async () => {
      expect(await taker([named('shouty', { commands: { Order: 'Order status' } })], text('/order 1'))).toBe('shouty');
    });

    it.each([
      ['another command', '/refund 5521'],
      ['a command that only starts with the declared one', '/orders'],
      ['the word without a slash', 'order 5521'],
      ['plain text', 'hello'],
      ['an inherited object property as a command', '/constructor'],
    ])('does not take %s', async (_, t) => {
      expect(await taker([order], text(t))).toBeUndefined();
    });

    it('leaves ctx.command set for a catch-all responder too', async () => {
      let seen: ParsedCommand | undefined;
      const all = named('all', {}, { respond: (ctx: ResponderContext) => void (seen = ctx.command) });
      await run(router([all]), text('/whatever x'));
      expect(seen).toEqual({ name: 'whatever', args: ['x'], argText: 'x' });
    });
  });

  describe('by pattern', () => {
    it('takes text the pattern matches and hands over the match', async () => {
      let seen: RegExpExecArray | undefined;
      const entry = named(
        'tracking',
        { pattern: /track(?:ing)? #?(\d+)/i },
        {
          respond: (ctx: ResponderContext) => {
            seen = ctx.match;
            return textReply('ok');
          },
        },
      );
      expect(await taker([entry], text('Tracking #5521 please'))).toBe('tracking');
      expect(seen?.[0]).toBe('Tracking #5521');
      expect(seen?.[1]).toBe('5521');
    });

    it('does not take text the pattern does not match, nor a message without text', async () => {
      const entry = named('tracking', { pattern: /track/ });
      expect(await taker([entry], text('hello'))).toBeUndefined();
      expect(await taker([entry], event({ type: 'image' }))).toBeUndefined();
    });

    it('matches on every call with a /g pattern (lastIndex does not leak between events)', async () => {
      const matches: string[] = [];
      const entry = named(
        'digits',
        { pattern: /(\d+)/g },
        {
          respond: (ctx: ResponderContext) => {
            matches.push(ctx.match![1]);
            return textReply('ok');
          },
        },
      );
      const r = router([entry]);
      for (let i = 0; i < 3; i++) expect((await run(r, text('order 5521'))).responder).toBe('digits');
      expect(matches).toEqual(['5521', '5521', '5521']);
    });

    it('leaves ctx.match undefined for a responder without a pattern', async () => {
      let ctxSeen: ResponderContext | undefined;
      const entry = named('plain', {}, { respond: (ctx: ResponderContext) => void (ctxSeen = ctx) });
      await run(router([entry]), text('5521'));
      expect(ctxSeen).toBeDefined();
      expect(ctxSeen!.match).toBeUndefined();
    });
  });

  describe('by kinds', () => {
    it.each([
      ['image', event({ type: 'image', attachments: [{ url: 'https://x/a.png' }] })],
      ['file', event({ type: 'file' })],
      ['custom', event({ category: 'custom', type: 'location', customData: { lat: 1 } })],
      ['interactive', event({ category: 'interactive', type: 'form' })],
    ])('takes only the declared kind: %s', async (kind, e) => {
      expect(await taker([named('only', { kinds: [kind] })], e)).toBe('only');
      expect(await taker([named('text', { kinds: ['text'] })], e)).toBeUndefined();
    });

    it('takes any of several declared kinds', async () => {
      const media = named('media', { kinds: ['image', 'video'] });
      expect(await taker([media], event({ type: 'video' }))).toBe('media');
      expect(await taker([media], event({ type: 'image' }))).toBe('media');
      expect(await taker([media], text('hi'))).toBeUndefined();
    });
  });

  describe('by chat', () => {
    const user = event({ text: 'hi', conversation: { type: 'user', id: 'cometchat-uid-1' } });
    const group = event({ text: 'hi', conversation: { type: 'group', id: 'ops-room' } });

    it('takes one-to-one messages only with chat: user', async () => {
      const entry = named('dm', { chat: 'user' });
      expect(await taker([entry], user)).toBe('dm');
      expect(await taker([entry], group)).toBeUndefined();
    });

    it('takes group messages only with chat: group', async () => {
      const entry = named('room', { chat: 'group' });
      expect(await taker([entry], group)).toBe('room');
      expect(await taker([entry], user)).toBeUndefined();
    });
  });

  describe('by mention', () => {
    it('takes only messages that mention the bot with mentioned: true', async () => {
      const entry = named('addressed', { mentioned: true });
      expect(await taker([entry], text('hi', { mentionsBot: true }))).toBe('addressed');
      expect(await taker([entry], text('hi', { mentionsBot: false }))).toBeUndefined();
    });
  });

  describe('by match()', () => {
    it('asks match() with the event and the parsed command', async () => {
      const match = jest.fn((e: BotEvent, ctx: { command?: ParsedCommand }) => ctx.command?.args[0] === 'yes');
      const entry = named('custom', {}, { match });
      const e = text('/ask yes');
      expect(await taker([entry], e)).toBe('custom');
      expect(match).toHaveBeenCalledWith(e, { command: { name: 'ask', args: ['yes'], argText: 'yes' } });
      expect(await taker([entry], text('/ask no'))).toBeUndefined();
    });

    it('gives match() no command for plain text', async () => {
      const match = jest.fn(() => true);
      await taker([named('custom', {}, { match })], text('hello'));
      expect(match).toHaveBeenCalledWith(expect.anything(), { command: undefined });
    });
  });

  describe('criteria combined', () => {
    const strict = named(
      'strict',
      {
        commands: { deploy: 'Deploy' },
        kinds: ['text'],
        chat: 'group',
        mentioned: true,
        pattern: /prod/,
      },
      { match: (e: BotEvent) => e.sender.uid === 'ops-lead' },
    );
    const ok: Partial<BotEvent> = {
      text: '/deploy prod',
      conversation: { type: 'group', id: 'ops-room' },
      mentionsBot: true,
      sender: { uid: 'ops-lead' },
    };

    it('takes the event when every criterion holds', async () => {
      expect(await taker([strict], event(ok))).toBe('strict');
    });

    it.each<[string, Partial<BotEvent>]>([
      ['another command', { text: '/rollback prod' }],
      ['a text the pattern misses', { text: '/deploy staging' }],
      ['a one-to-one chat', { conversation: { type: 'user', id: 'ops-lead' } }],
      ['no mention', { mentionsBot: false }],
      ['match() refusing', { sender: { uid: 'intern' } }],
      ['another kind', { type: 'file' }],
    ])('does not take it when one fails: %s', async (_, change) => {
      expect(await taker([strict], event({ ...ok, ...change }))).toBeUndefined();
    });
  });

  describe('priority', () => {
    it('tries the highest priority first, and equal priorities in registration order', () => {
      const r = router([
        named('low', { priority: -100 }),
        named('first-zero'),
        named('high', { priority: 10 }),
        named('second-zero', { priority: 0 }),
        named('third-zero'),
      ]);
      expect(r.responders.map((e) => e.options.name)).toEqual(['high', 'first-zero', 'second-zero', 'third-zero', 'low']);
    });

    it('lets the highest-priority responder that accepts take the event', async () => {
      const entries = [
        named('catch-all', { priority: -100 }),
        named('texts', { kinds: ['text'] }),
        named('help', { priority: 10, commands: { help: 'Help' } }),
      ];
      expect(await taker(entries, text('/help'))).toBe('help');
      expect(await taker(entries, text('hi'))).toBe('texts');
      expect(await taker(entries, event({ type: 'image' }))).toBe('catch-all');
    });

    it('runs only the responder that takes the event', async () => {
      const high = jest.fn(() => textReply('high'));
      const low = jest.fn(() => textReply('low'));
      await run(router([named('low', {}, { respond: low }), named('high', { priority: 1 }, { respond: high })]), text('hi'));
      expect(high).toHaveBeenCalledTimes(1);
      expect(low).not.toHaveBeenCalled();
    });
  });

  it('treats a responder with no criteria and no match() as a catch-all', async () => {
    const all = named('all');
    for (const e of [
      text('hi'),
      text('/x'),
      event({ type: 'image' }),
      event({ category: 'custom', type: 'x' }),
      event({ conversation: { type: 'group', id: 'g' } }),
    ]) {
      expect(await taker([all], e)).toBe('all');
    }
  });

  it('routes @Responder() classes through responderOptionsOf', async () => {
    @Responder({ name: 'decorated', commands: { ping: 'Ping' } })
    class Ping implements BotResponder {
      respond() {
        return textReply('pong');
      }
    }
    const instance = new Ping();
    const r = router([{ options: responderOptionsOf(instance)!, instance }]);
    expect(await run(r, text('/ping'))).toEqual({ responder: 'decorated', replies: [textReply('pong')] });
    expect(await run(r, text('ping'))).toEqual({ replies: [] });
  });
});

describe('ResponderRouter turns', () => {
  it('normalises one reply to a list, and void to no replies', async () => {
    expect(await run(router([named('one')]), text('hi'))).toEqual({ responder: 'one', replies: [textReply('one')] });
    expect(await run(router([named('quiet', {}, { respond: () => undefined })]), text('hi'))).toEqual({ responder: 'quiet', replies: [] });
  });

  it('keeps several replies in the order returned', async () => {
    const replies = [textReply('1'), textReply('2'), textReply('3')];
    expect((await run(router([named('many', {}, { respond: async () => replies })]), text('hi'))).replies).toEqual(replies);
  });

  it('gives the responder the conversation state', async () => {
    const state = new InMemoryConversationState();
    const entry = named(
      'counter',
      {},
      {
        respond: async ({ state: s }: ResponderContext) => {
          await s.set('count', ((await s.get<number>('count')) ?? 0) + 1);
        },
      },
    );
    const r = router([entry]);
    await r.respond(text('a'), state);
    await r.respond(text('b'), state);
    expect(state.snapshot()).toEqual({ count: 2 });
  });

  it('passes a responder error through unchanged, thrown or rejected', async () => {
    const boom = new Error('lookup down');
    await expect(
      run(
        router([
          named(
            'sync',
            {},
            {
              respond: () => {
                throw boom;
              },
            },
          ),
        ]),
        text('hi'),
      ),
    ).rejects.toBe(boom);
    const failed = new TurnFailedError('no such thing');
    await expect(
      run(
        router([
          named(
            'async',
            {},
            {
              respond: async () => {
                throw failed;
              },
            },
          ),
        ]),
        text('hi'),
      ),
    ).rejects.toBe(failed);
  });

  describe('timeout', () => {
    const never = () => new Promise<never>(() => {});

    it('fails a responder that never answers with a ResponderTimeoutError, a permanent failure', async () => {
      const r = router([named('hang', {}, { respond: never })], { timeoutMs: 50 });
      const error = await run(r, text('hi')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponderTimeoutError);
      expect(error).toBeInstanceOf(TurnFailedError);
      expect(error).toBeInstanceOf(UnrecoverableError);
      expect((error as Error).message).toMatch(/"hang".*50 ms/);
    });

    it('aborts ctx.signal when the time is up', async () => {
      let signal: AbortSignal | undefined;
      const entry = named(
        'hang',
        {},
        {
          respond: (ctx: ResponderContext) => {
            signal = ctx.signal;
            return never();
          },
        },
      );
      const turn = run(router([entry], { timeoutMs: 50 }), text('hi'));
      await new Promise(setImmediate); // let respond() start
      expect(signal?.aborted).toBe(false);
      await expect(turn).rejects.toBeInstanceOf(ResponderTimeoutError);
      expect(signal?.aborted).toBe(true);
    });

    it('uses the responder timeoutMs rather than the router default (shorter)', async () => {
      const r = router([named('hang', { timeoutMs: 50 }, { respond: never })], { timeoutMs: 600_000 });
      await expect(run(r, text('hi'))).rejects.toThrow(/within 50 ms/);
    });

    describe('with fake timers', () => {
      beforeEach(() => jest.useFakeTimers());
      afterEach(() => jest.useRealTimers());

      const slow = (ms: number) => () => new Promise<BotReply>((resolve) => setTimeout(() => resolve(textReply('done')), ms));

      it('uses the responder timeoutMs rather than the router default (longer)', async () => {
        const r = router([named('slow', { timeoutMs: 10_000 }, { respond: slow(1_000) })], { timeoutMs: 50 });
        const turn = run(r, text('hi'));
        await jest.advanceTimersByTimeAsync(1_000);
        await expect(turn).resolves.toEqual({ responder: 'slow', replies: [textReply('done')] });
      });

      it('fails that same slow responder under the router default', async () => {
        const r = router([named('slow', {}, { respond: slow(1_000) })], { timeoutMs: 50 });
        const turn = run(r, text('hi'));
        const failed = expect(turn).rejects.toBeInstanceOf(ResponderTimeoutError);
        await jest.advanceTimersByTimeAsync(50);
        await failed;
      });

      it('leaves no timer behind after a turn that answered in time', async () => {
        await run(router([named('fast')], { timeoutMs: 50 }), text('hi'));
        expect(jest.getTimerCount()).toBe(0);
      });
    });
  });

  describe('fallback', () => {
    it('is silent when nothing matches and no fallback text is set', async () => {
      const outcome = await run(router([named('texts', { kinds: ['text'] })]), event({ type: 'image' }));
      expect(outcome).toEqual({ replies: [] });
      expect(outcome.responder).toBeUndefined();
    });

    it('answers the fallback text when nothing matches', async () => {
      const r = router([named('texts', { kinds: ['text'] })], { fallbackText: 'I only read text.' });
      expect(await run(r, event({ type: 'image' }))).toEqual({ responder: 'fallback', replies: [textReply('I only read text.')] });
    });

    it('does not answer the fallback when a responder takes the event but says nothing', async () => {
      const r = router([named('quiet', {}, { respond: () => undefined })], { fallbackText: 'Sorry?' });
      expect(await run(r, text('hi'))).toEqual({ responder: 'quiet', replies: [] });
    });

    it('falls back with no responders at all', async () => {
      expect(await run(router([], { fallbackText: 'Sorry?' }), text('hi'))).toEqual({ responder: 'fallback', replies: [textReply('Sorry?')] });
    });
  });

  describe('replyInThread', () => {
    const inThread = text('and yesterday?', { parentId: '2310' });
    const two = named('two', {}, { respond: () => [textReply('a'), textReply('b', { parentId: '999' })] });

    it('puts replies without a parentId into the thread of the incoming message; keeps an explicit one', async () => {
      const { replies } = await run(router([two], { replyInThread: true }), inThread);
      expect(replies).toEqual([{ ...textReply('a'), parentId: '2310' }, textReply('b', { parentId: '999' })]);
    });

    it('puts the fallback text into the thread too', async () => {
      const { replies } = await run(router([], { replyInThread: true, fallbackText: 'Sorry?' }), inThread);
      expect(replies).toEqual([{ ...textReply('Sorry?'), parentId: '2310' }]);
    });

    it('adds no parentId to replies to messages outside threads', async () => {
      const { replies } = await run(router([two], { replyInThread: true }), text('hi'));
      expect(replies[0]).not.toHaveProperty('parentId');
      expect(replies[1].parentId).toBe('999');
    });

    it('adds no parentId when the option is off', async () => {
      const { replies } = await run(router([two]), inThread);
      expect(replies[0]).not.toHaveProperty('parentId');
    });
  });

  it(`fails a turn that returns more than ${MAX_REPLIES_PER_TURN} replies`, async () => {
    const replies = (n: number) => Array.from({ length: n }, (_, i) => textReply(`#${i}`));
    const atLimit = await run(router([named('max', {}, { respond: () => replies(MAX_REPLIES_PER_TURN) })]), text('hi'));
    expect(atLimit.replies).toHaveLength(MAX_REPLIES_PER_TURN);
    await expect(run(router([named('chatty', {}, { respond: () => replies(MAX_REPLIES_PER_TURN + 1) })]), text('hi'))).rejects.toThrow(
      new RegExp(`at most ${MAX_REPLIES_PER_TURN}`),
    );
  });
});

describe('ResponderRouter setup', () => {
  it('lists every declared command with its description and responder', () => {
    const r = router([
      named('order-status', { commands: { order: 'Order status: /order <number>', cancel: 'Cancel an order' } }),
      named('echo'),
      named('help', { priority: 1000, commands: { help: 'List what I can do' } }),
    ]);
    expect(r.commands()).toEqual(
      expect.arrayContaining([
        { command: 'order', description: 'Order status: /order <number>', responder: 'order-status' },
        { command: 'cancel', description: 'Cancel an order', responder: 'order-status' },
        { command: 'help', description: 'List what I can do', responder: 'help' },
      ]),
    );
    expect(r.commands()).toHaveLength(3);
  });

  it('fails on two responders with one name, naming it', () => {
    expect(() => router([named('faq'), named('echo'), named('faq', { priority: 5 })])).toThrow(/"faq"/);
    expect(() => ResponderRouter.order([named('faq'), named('faq')])).toThrow(/unique/);
  });

  it('fails on a responder without respond(), naming it', () => {
    expect(() => router([{ options: { name: 'broken' }, instance: { match: () => true } as unknown as BotResponder }])).toThrow(
      /"broken".*respond\(\)/,
    );
  });

  it('fails on a match that is not a method, naming the responder', () => {
    const instance = { match: true, respond: () => undefined } as unknown as BotResponder;
    expect(() => router([{ options: { name: 'odd' }, instance }])).toThrow(/"odd"/);
  });

  it('does not reorder the list it was given', () => {
    const entries = [named('low'), named('high', { priority: 1 })];
    router(entries);
    expect(entries.map((e) => e.options.name)).toEqual(['low', 'high']);
  });
});

describe('ResponderRouter streamed answers', () => {
  const streaming = (parts: Array<string | object>, gapMs = 0): RegisteredResponder => ({
    options: { name: 'streamer' },
    instance: {
      async *respond() {
        for (const part of parts) {
          if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
          yield part as never;
        }
      },
    },
  });

  it('collects a stream of text into one text reply on the bot path', async () => {
    const outcome = await run(router([streaming(['Hel', 'lo ', { type: 'text', text: 'there' }])]), text('hi'));
    expect(outcome.replies).toEqual([textReply('Hello there')]);
  });

  it('hands every part to onPart as it comes, text as objects, tool steps included', async () => {
    const parts: unknown[] = [];
    const call = { type: 'tool-call', toolCallId: 't1', toolName: 'lookup', args: { id: 1 } };
    const result = { type: 'tool-result', toolCallId: 't1', toolName: 'lookup', result: 'found' };
    const outcome = await router([streaming(['a', call, result, 'b'])]).respond(text('hi'), new InMemoryConversationState(), {
      path: 'agent',
      onPart: (part) => parts.push(part),
    });
    expect(parts).toEqual([{ type: 'text', text: 'a' }, call, result, { type: 'text', text: 'b' }]);
    expect(outcome.replies).toEqual([textReply('ab')]);
  });

  it('says nothing when the stream held no text', async () => {
    expect((await run(router([streaming([' ', { type: 'tool-call', toolCallId: 'x', toolName: 'y', args: {} }])]), text('hi'))).replies).toEqual([]);
  });

  it('times out a stream that is still going past the responder timeout', async () => {
    const slow = router([streaming(['a', 'b', 'c', 'd'], 40)], { timeoutMs: 60 });
    await expect(run(slow, text('hi'))).rejects.toBeInstanceOf(ResponderTimeoutError);
  });

  it('tells the responder its path and history, and aborts it when the caller does', async () => {
    let seen: ResponderContext | undefined;
    const caller = new AbortController();
    const waiting: RegisteredResponder = {
      options: { name: 'waiter' },
      instance: {
        respond: (ctx) => {
          seen = ctx;
          return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
        },
      },
    };
    const turn = router([waiting]).respond(text('hi'), new InMemoryConversationState(), {
      path: 'agent',
      history: [{ role: 'user', text: 'earlier' }],
      signal: caller.signal,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen?.path).toBe('agent');
    expect(seen?.history).toEqual([{ role: 'user', text: 'earlier' }]);
    caller.abort();
    await expect(turn).rejects.toThrow('aborted');
  });

  it('tells a responder on the bot path so, with no history', async () => {
    let seen: ResponderContext | undefined;
    await run(router([named('x', {}, { respond: (ctx) => void (seen = ctx) })]), text('hi'));
    expect(seen?.path).toBe('bot');
    expect(seen?.history).toBeUndefined();
  });
});
