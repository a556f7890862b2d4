import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { BotEvent, BotReply } from '../queue/job-contracts';
import type { BotResponder } from './bot-responder.interface';
import { textReply } from './reply.builders';
import { Responder } from './responder.decorator';
import { ResponderRegistry } from './responder.registry';

const noop: BotResponder = { match: () => true, respond: () => undefined };
const entry = (name: string, priority: number, instance: BotResponder = noop) => ({ name, priority, instance });

const event = (text?: string, type = 'text'): BotEvent => ({
  id: '1045',
  bot: 'support-bot',
  sender: { uid: 'cometchat-uid-1' },
  conversation: { type: 'user', id: 'cometchat-uid-1' },
  category: 'message',
  type,
  ...(text === undefined ? {} : { text }),
  mentionsBot: false,
  attachments: [],
  receivedAt: 0,
  raw: {},
});

describe('ResponderRegistry.order', () => {
  it('puts higher priorities first and keeps the given order for equal priorities', () => {
    const ordered = ResponderRegistry.order([
      entry('low', -100),
      entry('first-zero', 0),
      entry('high', 10),
      entry('second-zero', 0),
      entry('third-zero', 0),
    ]);
    expect(ordered.map((r) => r.name)).toEqual(['high', 'first-zero', 'second-zero', 'third-zero', 'low']);
  });

  it('fails on a duplicate name, naming it', () => {
    expect(() => ResponderRegistry.order([entry('faq', 0), entry('echo', 0), entry('faq', 5)])).toThrow(/"faq"/);
  });

  it('fails when match() or respond() is missing', () => {
    expect(() => ResponderRegistry.order([entry('broken', 0, { match: () => true } as any)])).toThrow(/"broken"/);
    expect(() => ResponderRegistry.order([entry('broken', 0, { respond: () => undefined } as any)])).toThrow(
      /match\(\) and respond\(\)/,
    );
  });
});

@Responder({ name: 'help', priority: 10 })
class HelpResponder implements BotResponder {
  match(e: BotEvent) {
    return e.text === '/help';
  }
  respond() {
    return textReply('Try /status');
  }
}

@Responder({ name: 'shout' })
class ShoutResponder implements BotResponder {
  match(e: BotEvent) {
    return !!e.text;
  }
  respond({ event: e }: { event: BotEvent }): BotReply[] | void {
    if (e.text === 'quiet') return;
    return [textReply(e.text!.toUpperCase()), textReply('!')];
  }
}

@Responder({ name: 'help' })
class AnotherHelpResponder implements BotResponder {
  match = () => false;
  respond = () => undefined;
}

describe('ResponderRegistry.respond', () => {
  let registry: ResponderRegistry;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // ShoutResponder is listed first so that only priority can make "help" win.
    const module = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [ResponderRegistry, ShoutResponder, HelpResponder],
    }).compile();
    await module.init();
    registry = module.get(ResponderRegistry);
    close = () => module.close();
  });

  afterAll(() => close());

  it('discovers the @Responder providers in priority order', () => {
    expect(registry.names()).toEqual(['help', 'shout']);
  });

  it('lets the highest-priority responder that matches handle the event', async () => {
    expect(await registry.respond(event('/help'))).toEqual({ responder: 'help', replies: [textReply('Try /status')] });
  });

  it('falls through to the next responder when a higher one does not match', async () => {
    expect(await registry.respond(event('hi'))).toEqual({
      responder: 'shout',
      replies: [textReply('HI'), textReply('!')],
    });
  });

  it('normalises a single reply to an array', async () => {
    const { replies } = await registry.respond(event('/help'));
    expect(Array.isArray(replies)).toBe(true);
    expect(replies).toHaveLength(1);
  });

  it('turns a void result into no replies', async () => {
    expect(await registry.respond(event('quiet'))).toEqual({ responder: 'shout', replies: [] });
  });

  it('answers nothing when no responder matches', async () => {
    const outcome = await registry.respond(event(undefined, 'image'));
    expect(outcome).toEqual({ replies: [] });
    expect(outcome.responder).toBeUndefined();
  });

  it('fails at startup when two responders share a name', async () => {
    const module = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [ResponderRegistry, HelpResponder, AnotherHelpResponder],
    }).compile();
    // Nothing to close afterwards: close() would only re-await the failed init.
    await expect(module.init()).rejects.toThrow(/"help"/);
  });
});
