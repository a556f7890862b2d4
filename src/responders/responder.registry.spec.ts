import { DiscoveryModule } from '@nestjs/core';
import { Test, TestingModule } from '@nestjs/testing';
import { botsConfig, respondersConfig } from '../config/app.config';
import { ConfigValidationError } from '../config/env.validation';
import type { BotEvent } from '../messages';
import type { BotResponder } from './bot-responder.interface';
import { InMemoryConversationState } from './conversation-state';
import { textReply } from './reply.builders';
import { Responder } from './responder.decorator';
import { ResponderRegistry } from './responder.registry';
import { ResponderTimeoutError } from './turn-failed.error';

// The routing rules themselves are in responder-router.spec.ts; this checks the Nest wiring around them.

const event = (text?: string, fields: Partial<BotEvent> = {}): BotEvent => ({
  id: '1045',
  kind: 'message',
  bot: 'support-bot',
  sender: { uid: 'cometchat-uid-1' },
  conversation: { type: 'user', id: 'cometchat-uid-1' },
  category: 'message',
  type: 'text',
  ...(text === undefined ? {} : { text }),
  mentionsBot: false,
  attachments: [],
  receivedAt: 0,
  raw: {},
  ...fields,
});

const config = { timeoutMs: 1000, echoEnabled: true, replyInThread: false, groupChatSetting: 'mentionedMessages', stateTtlSeconds: 60 };

@Responder({ name: 'status', priority: 10, commands: { status: 'Service status' } })
class StatusResponder implements BotResponder {
  respond() {
    return textReply('All systems go');
  }
}

@Responder({ name: 'shout', kinds: ['text'] })
class ShoutResponder implements BotResponder {
  respond({ event: e }: { event: BotEvent }) {
    return [textReply(e.text!.toUpperCase()), textReply('!')];
  }
}

@Responder({ name: 'status' })
class AnotherStatusResponder implements BotResponder {
  respond() {
    return undefined;
  }
}

@Responder({ name: 'hang', commands: { hang: 'Never answers' } })
class HangingResponder implements BotResponder {
  respond() {
    return new Promise<never>(() => {});
  }
}

const compile = (providers: any[], settings: Record<string, unknown> = config) =>
  Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [ResponderRegistry, ...providers, { provide: respondersConfig.KEY, useValue: settings }],
  }).compile();

describe('ResponderRegistry', () => {
  let module: TestingModule;
  let registry: ResponderRegistry;

  beforeAll(async () => {
    // ShoutResponder is listed first so that only priority can make "status" win for /status.
    module = await compile([ShoutResponder, StatusResponder]);
    await module.init();
    registry = module.get(ResponderRegistry);
  });

  afterAll(() => module.close());

  it('routes to the discovered @Responder() with the highest priority that accepts', async () => {
    const state = new InMemoryConversationState();
    expect(await registry.respond(event('/status'), state)).toEqual({ responder: 'status', replies: [textReply('All systems go')] });
    expect(await registry.respond(event('hi'), state)).toEqual({ responder: 'shout', replies: [textReply('HI'), textReply('!')] });
  });

  it('answers nothing when no responder takes the event and no fallback is configured', async () => {
    expect(await registry.respond(event(undefined, { type: 'image' }), new InMemoryConversationState())).toEqual({ replies: [] });
  });

  it('lists the commands of the discovered responders', () => {
    expect(registry.commands()).toEqual([{ command: 'status', description: 'Service status', responder: 'status' }]);
  });

  it('fails at startup when two responders share a name, naming it', async () => {
    const broken = await compile([StatusResponder, AnotherStatusResponder]);
    // Not closed: close() would only re-await the failed init.
    await expect(broken.init()).rejects.toThrow(/"status"/);
  });

  it('fails at startup when a bot of BOTS_FILE names a responder the app does not have, naming each with its bot', async () => {
    const bots = (...responders: Array<string[] | undefined>) => ({
      provide: botsConfig.KEY,
      useValue: { bots: responders.map((names, i) => ({ uid: `bot-${i}`, ...(names ? { responders: names } : {}) })) },
    });
    const broken = await compile([StatusResponder, ShoutResponder, bots(['status', 'faq'], undefined, ['pager', 'shout', 'llm'])]);
    const failure = broken.init();
    await expect(failure).rejects.toBeInstanceOf(ConfigValidationError);
    await expect(failure).rejects.toMatchObject({
      problems: [
        'BOTS_FILE bots[0] (bot-0) names responders this service does not have: "faq" (it has: shout, status)',
        'BOTS_FILE bots[2] (bot-2) names responders this service does not have: "pager", "llm" (it has: shout, status)',
      ],
    });

    const known = await compile([StatusResponder, ShoutResponder, bots(['status'], undefined, ['shout', 'status'])]);
    await known.init();
    await known.close();
  });

  it('applies the configured timeout, fallback text and thread setting', async () => {
    const configured = await compile([HangingResponder], { ...config, timeoutMs: 50, fallbackText: 'Sorry?', replyInThread: true });
    await configured.init();
    try {
      const r = configured.get(ResponderRegistry);
      const state = new InMemoryConversationState();
      await expect(r.respond(event('/hang'), state)).rejects.toBeInstanceOf(ResponderTimeoutError);
      expect(await r.respond(event('hi', { parentId: '2310' }), state)).toEqual({
        responder: 'fallback',
        replies: [{ ...textReply('Sorry?'), parentId: '2310' }],
      });
    } finally {
      await configured.close();
    }
  });
});
