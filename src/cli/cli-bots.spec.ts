import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BotDefinition } from '../config/bots-file';
import { ConfigValidationError } from '../config/env.validation';
import { botCallbackUrl } from './callback-url';
import { botNamed, chooseBot, chooseBots } from './cli-bots';
import { readBots } from './cli-config';
import { UsageError } from './exit-codes';
import { jobBot } from './failed-jobs';

const bot = (uid: string): BotDefinition => ({
  uid,
  app: { name: 'main', appId: 'app', region: 'us', apiKey: 'key', apiUrl: 'https://app.api-us.cometchat.io/v3' },
  webhook: { username: 'cometchat', password: `${uid}-password` },
  groupChatSetting: 'mentionedMessages',
});
const two = [bot('support-bot'), bot('sales-bot')];
const usage = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('choosing bots', () => {
  it('finds --bot in any case, and refuses an unknown one naming only the uids', () => {
    expect(botNamed(two, 'SALES-Bot').uid).toBe('sales-bot');
    const message = usage(() => botNamed(two, 'nobody'));
    expect(message).toBe('--bot nobody: this deployment has no such bot (its bots: support-bot, sales-bot)');
    expect(message).not.toContain('password');
  });

  it('takes the only bot without --bot, and requires --bot (or --all) with several', () => {
    expect(chooseBot([two[0]], undefined)).toBe(two[0]);
    expect(usage(() => chooseBot(two, undefined))).toMatch(/^2 bots are configured \(support-bot, sales-bot\): pass --bot UID$/);
    expect(usage(() => chooseBots(two, {}))).toMatch(/pass --bot UID to act on one, or --all for every one/);
    expect(chooseBots(two, { all: true })).toEqual(two);
    expect(chooseBots(two, { bot: 'Support-Bot' })).toEqual([two[0]]);
    expect(usage(() => chooseBots(two, { bot: 'sales-bot', all: true }))).toBe('give --bot UID or --all, not both');
  });
});

describe("a bot's own callback URL", () => {
  it('is {url}/webhooks/cometchat/{uid}, from a base URL or the callback URL', () => {
    expect(botCallbackUrl('https://bot.example.com', 'sales-bot')).toBe('https://bot.example.com/webhooks/cometchat/sales-bot');
    expect(botCallbackUrl('https://bot.example.com/', 'sales-bot')).toBe('https://bot.example.com/webhooks/cometchat/sales-bot');
    expect(botCallbackUrl('https://bot.example.com/webhooks/cometchat', 'sales-bot')).toBe('https://bot.example.com/webhooks/cometchat/sales-bot');
    expect(botCallbackUrl('https://example.com/chat/', 'sales-bot')).toBe('https://example.com/chat/webhooks/cometchat/sales-bot');
    expect(botCallbackUrl('http://127.0.0.1:3000', 'a')).toBe('http://127.0.0.1:3000/webhooks/cometchat/a');
  });

  it("keeps the bot's own URL, and refuses another bot's", () => {
    expect(botCallbackUrl('https://bot.example.com/webhooks/cometchat/Sales-Bot', 'sales-bot')).toBe(
      'https://bot.example.com/webhooks/cometchat/Sales-Bot',
    );
    expect(usage(() => botCallbackUrl('https://bot.example.com/webhooks/cometchat/support-bot', 'sales-bot'))).toMatch(
      /is a bot's own callback URL, not bot sales-bot's/,
    );
    expect(usage(() => botCallbackUrl('nope', 'sales-bot'))).toMatch(/not a URL/);
  });
});

describe("reading the deployment's bots", () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-bots-'));
    file = join(dir, 'bots.yaml');
    writeFileSync(
      file,
      [
        'apps:',
        '  a: { appId: app-a, region: us, apiKey: "${KEY_A}", apiUrl: "http://127.0.0.1:1/v3" }',
        '  b: { appId: app-b, region: eu, apiKey: "${KEY_B}" }',
        'bots:',
        '  - { uid: Support-Bot, app: a, webhook: { username: u1, password: "${PASS_A}" } }',
        '  - { uid: sales-bot, app: b, webhook: { username: u2, password: p2-secret }, groupChatSetting: allMessages }',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fileEnv = () => ({ BOTS_FILE: file, KEY_A: 'key-a', KEY_B: 'key-b', PASS_A: 'p1-secret' });

  it("reads BOTS_FILE's bots, each with its app, through the service's loader", () => {
    const { bots } = readBots(['BOT_UID'], fileEnv());
    expect(bots.map((b) => [b.uid, b.app.apiUrl, b.app.apiKey, b.webhook.password, b.groupChatSetting])).toEqual([
      ['support-bot', 'http://127.0.0.1:1/v3', 'key-a', 'p1-secret', 'mentionedMessages'],
      ['sales-bot', 'https://app-b.api-eu.cometchat.io/v3', 'key-b', 'p2-secret', 'allMessages'],
    ]);
  });

  it('still reads them when a variable the command does not use is invalid', () => {
    const { bots } = readBots(['BOT_UID'], { ...fileEnv(), LOG_LEVEL: 'loud' });
    expect(bots.map((b) => b.uid)).toEqual(['support-bot', 'sales-bot']);
  });

  it("names the file's problems, and a single-bot variable set beside it", () => {
    expect(() => readBots(['BOT_UID'], { ...fileEnv(), KEY_B: undefined })).toThrow(ConfigValidationError);
    expect(() => readBots(['BOT_UID'], { ...fileEnv(), WEBHOOK_PASSWORD: 'x' })).toThrow(/WEBHOOK_PASSWORD is not read with BOTS_FILE/);
  });

  it('is the one bot of BOT_UID and the rest without BOTS_FILE', () => {
    const { bots } = readBots(['BOT_UID'], { BOT_UID: 'Support-Bot', WEBHOOK_USERNAME: 'u', WEBHOOK_PASSWORD: 'p' });
    expect(bots.map((b) => b.uid)).toEqual(['support-bot']);
  });
});

describe("a failed job's bot", () => {
  it("is an event's callback bot, a reply's target.bot, lowercased; absent when the data does not say", () => {
    expect(jobBot('events', { bot: 'Sales-Bot', data: {} })).toBe('sales-bot');
    expect(jobBot('replies', { target: { type: 'user', id: 'u1', bot: 'sales-bot' } })).toBe('sales-bot');
    expect(jobBot('replies', { target: { type: 'user', id: 'u1' } })).toBeUndefined();
    expect(jobBot('replies', { bot: 'sales-bot' })).toBeUndefined();
    expect(jobBot('events', null)).toBeUndefined();
    expect(jobBot('events', { bot: 42 })).toBeUndefined();
  });
});
