import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { botConfig, botsConfig, cometchatConfig, webhookConfig } from './app.config';
import { botsOf } from './bots-file';
import { ConfigValidationError, EnvironmentVariables, validateEnv } from './env.validation';

const dir = mkdtempSync(join(tmpdir(), 'bots-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes a BOTS_FILE into the spec's own temporary directory; `.json` names are read as JSON. */
function botsFile(text: string, extension = 'yaml'): string {
  const path = join(dir, `bots-${++files}.${extension}`);
  writeFileSync(path, text);
  return path;
}

/** The secrets the environment holds: no message may show any of them. */
const SECRETS = {
  COMETCHAT_API_KEY: 'kQ7vZ2mainApiKey9x',
  STAGING_API_KEY: 'pL4sTagingApiKey3w',
  SUPPORT_WEBHOOK_PASSWORD: 'hX8supportPassw0rd',
  SUPPORT_AGENT_TOKEN: 'tR5supportAgentT0ken22',
};
/** Every 8 characters of every secret: no message may show even part of one. */
const SECRET_PARTS = Object.values(SECRETS).flatMap((secret) => [...secret.slice(7)].map((_, i) => secret.slice(i, i + 8)));

const TWO_APPS = `
apps:                       # CometChat apps, by a local name
  main: { appId: "123abc", region: us, apiKey: "\${COMETCHAT_API_KEY}" }
  staging:
    appId: "456def"
    region: eu
    apiKey: "\${STAGING_API_KEY}"
    apiUrl: http://127.0.0.1:4010/v3/
bots:
  - uid: Support-Bot
    app: main
    webhook: { username: cometchat, password: "\${SUPPORT_WEBHOOK_PASSWORD}" }
    groupChatSetting: allMessages
    responders: [faq, llm]
    sendsPerMinute: 30
    agentToken: "\${SUPPORT_AGENT_TOKEN}"
  - uid: sales-bot
    app: main
    webhook: { username: sales, password: "sales-password" }
  - uid: ops-bot
    app: staging
    webhook: { username: ops, password: "ops-password" }
`;

const main = { name: 'main', appId: '123abc', region: 'us', apiKey: SECRETS.COMETCHAT_API_KEY, apiUrl: 'https://123abc.api-us.cometchat.io/v3' };
const staging = { name: 'staging', appId: '456def', region: 'eu', apiKey: SECRETS.STAGING_API_KEY, apiUrl: 'http://127.0.0.1:4010/v3' };
const THREE_BOTS = [
  {
    uid: 'support-bot',
    app: main,
    webhook: { username: 'cometchat', password: SECRETS.SUPPORT_WEBHOOK_PASSWORD },
    groupChatSetting: 'allMessages',
    responders: ['faq', 'llm'],
    sendsPerMinute: 30,
    agentToken: SECRETS.SUPPORT_AGENT_TOKEN,
  },
  { uid: 'sales-bot', app: main, webhook: { username: 'sales', password: 'sales-password' }, groupChatSetting: 'slashedMessages' },
  { uid: 'ops-bot', app: staging, webhook: { username: 'ops', password: 'ops-password' }, groupChatSetting: 'slashedMessages' },
];

/** The environment of a deployment with a BOTS_FILE: the file, the secrets it reads, a default group chat setting. */
const withFile = (path: string, extra: Record<string, string> = {}) => ({
  BOTS_FILE: path,
  GROUP_CHAT_SETTING: 'slashedMessages',
  ...SECRETS,
  ...extra,
});

const ONE_BOT = `apps:
  main:
    appId: "123abc"
    region: us
    apiKey: key
bots:
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: pw }
`;
const APP_KEYS = ['appId', 'region', 'apiKey', 'apiUrl', 'aipKey'];

/** ONE_BOT with one line set: in place of its key's, else added to the app (an app's key) or to the bot. */
function oneBotWith(line: string): string {
  const key = line.split(':')[0];
  const existing = new RegExp(`^(\\s+(?:- )?)${key}:.*$`, 'm');
  if (existing.test(ONE_BOT)) return ONE_BOT.replace(existing, `$1${line}`);
  return APP_KEYS.includes(key) ? ONE_BOT.replace('    apiKey: key\n', `    apiKey: key\n    ${line}\n`) : `${ONE_BOT}    ${line}\n`;
}

function problemsOf(env: Record<string, unknown>): string[] {
  try {
    validateEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    const { problems, message } = error as ConfigValidationError;
    for (const part of SECRET_PARTS) expect(message).not.toContain(part);
    return problems;
  }
  throw new Error('expected validateEnv to throw');
}

describe('BOTS_FILE', () => {
  it('reads a YAML file into one list of bots, each resolved: uid lowercased, its app, ${VAR} from the environment, defaults', () => {
    const env = validateEnv(withFile(botsFile(TWO_APPS)));
    expect(botsConfig(env)).toEqual({ bots: THREE_BOTS });
    // One app object per app: its bots share it.
    const [support, sales] = botsConfig(env).bots;
    expect(support.app).toBe(sales.app);
    expect(env.COMETCHAT_MODE).toBe('live');
  });

  it('reads a .json file with JSON.parse, to the same bots', () => {
    const json = {
      apps: {
        main: { appId: '123abc', region: 'us', apiKey: '${COMETCHAT_API_KEY}' },
        staging: { appId: '456def', region: 'eu', apiKey: '${STAGING_API_KEY}', apiUrl: 'http://127.0.0.1:4010/v3/' },
      },
      bots: [
        {
          uid: 'Support-Bot',
          app: 'main',
          webhook: { username: 'cometchat', password: '${SUPPORT_WEBHOOK_PASSWORD}' },
          groupChatSetting: 'allMessages',
          responders: ['faq', 'llm'],
          sendsPerMinute: 30,
          agentToken: '${SUPPORT_AGENT_TOKEN}',
        },
        { uid: 'sales-bot', app: 'main', webhook: { username: 'sales', password: 'sales-password' } },
        { uid: 'ops-bot', app: 'staging', webhook: { username: 'ops', password: 'ops-password' } },
      ],
    };
    expect(botsConfig(validateEnv(withFile(botsFile(JSON.stringify(json, null, 2), 'json')))).bots).toEqual(THREE_BOTS);
  });

  it('replaces ${VAR} inside a value, reads numbers from it, and writes $${ as a literal ${', () => {
    const path = botsFile(`
apps:
  main: { appId: "\${APP_ID}", region: "\${REGION}", apiKey: "key-\${KEY_SUFFIX}" }
bots:
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: "pa$\${ss}-\${PASSWORD_TAIL}" }
    sendsPerMinute: "\${SENDS}"
`);
    const [bot] = botsConfig(
      validateEnv({ BOTS_FILE: path, APP_ID: '123abc', REGION: 'eu', KEY_SUFFIX: 'xyz', PASSWORD_TAIL: 'tail', SENDS: '45' }),
    ).bots;
    expect(bot).toMatchObject({
      app: { appId: '123abc', region: 'eu', apiKey: 'key-xyz', apiUrl: 'https://123abc.api-eu.cometchat.io/v3' },
      webhook: { password: 'pa${ss}-tail' },
      sendsPerMinute: 45,
    });
  });

  it('names each ${VAR} that is not set (or empty) and where it is used, and reads no one else', () => {
    const path = botsFile(TWO_APPS);
    const problems = problemsOf({ ...withFile(path), SUPPORT_WEBHOOK_PASSWORD: '', SUPPORT_AGENT_TOKEN: undefined });
    expect(problems).toEqual([
      'BOTS_FILE bots[0].webhook.password: ${SUPPORT_WEBHOOK_PASSWORD} is not set',
      'BOTS_FILE bots[0].agentToken: ${SUPPORT_AGENT_TOKEN} is not set',
    ]);
    expect(problemsOf({ BOTS_FILE: botsFile('apps: { main: { appId: "${A-B}", region: us } }\nbots: []\n') })).toContain(
      'BOTS_FILE apps.main.appId: a ${…} that is not ${NAME} (letters, digits and _); write $${ for a literal ${',
    );
  });

  it("refuses, in one list with the environment's own problems: unknown app, duplicate uid, missing ${VAR}, single-bot variables", () => {
    const path = botsFile(`
apps:
  main: { appId: "123abc", region: us, apiKey: "\${COMETCHAT_API_KEY}" }
bots:
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: "\${SUPPORT_WEBHOOK_PASSWORD}" }
  - uid: Support-Bot
    app: main
    webhook: { username: cometchat, password: "another-password" }
  - uid: sales-bot
    app: stagin
    webhook: { username: cometchat, password: "\${SALES_WEBHOOK_PASSWORD}" }
`);
    const problems = problemsOf({
      ...withFile(path),
      PORT: 'abc',
      BOT_UID: 'Support-Bot',
      WEBHOOK_USERNAME: 'cometchat',
      WEBHOOK_PASSWORD: 'single-bot-password',
      COMETCHAT_APP_ID: '123abc',
      AGENT_TOKEN: 'an-agent-token-of-the-single-bot',
    });
    expect(problems).toEqual([
      'PORT must be an integer number',
      'BOTS_FILE bots[2].webhook.password: ${SALES_WEBHOOK_PASSWORD} is not set',
      'BOTS_FILE bots[0].uid "support-bot" and bots[1].uid "Support-Bot" are one bot (CometChat lowercases uids): list each bot once',
      'BOTS_FILE bots[2].app: "stagin" is not an app of the file (apps: main)',
      'BOT_UID: support-bot is also bots[0] of BOTS_FILE; a bot is configured in one place: remove BOT_UID',
      "WEBHOOK_USERNAME is not read with BOTS_FILE (each bot's settings are in the file): remove it, or use it in the file as ${WEBHOOK_USERNAME}",
      "WEBHOOK_PASSWORD is not read with BOTS_FILE (each bot's settings are in the file): remove it, or use it in the file as ${WEBHOOK_PASSWORD}",
      "COMETCHAT_APP_ID is not read with BOTS_FILE (each bot's settings are in the file): remove it, or use it in the file as ${COMETCHAT_APP_ID}",
      "AGENT_TOKEN is not read with BOTS_FILE (each bot's settings are in the file): remove it, or use it in the file as ${AGENT_TOKEN}",
    ]);
    expect(problemsOf({ ...withFile(botsFile(TWO_APPS)), BOT_UID: 'another-bot' })).toEqual([
      "BOT_UID is not read with BOTS_FILE (the bots are the file's): remove it, or move its bot into the file",
    ]);
  });

  it('accepts a single-bot variable the file reads as ${VAR} (COMETCHAT_API_KEY above), never BOT_UID', () => {
    expect(() => validateEnv(withFile(botsFile(TWO_APPS)))).not.toThrow();
    const path = botsFile(TWO_APPS.replace('uid: sales-bot', 'uid: "${BOT_UID}"'));
    expect(problemsOf({ ...withFile(path), BOT_UID: 'sales-bot' })).toEqual([
      'BOT_UID: sales-bot is also bots[1] of BOTS_FILE; a bot is configured in one place: remove BOT_UID',
    ]);
  });

  it.each([
    ['apps.main.region', 'region: mars', 'BOTS_FILE apps.main.region must be one of: us, eu, in'],
    ['apps.main.appId', 'appId: 1234', 'BOTS_FILE apps.main.appId must be text (quote a value made of digits)'],
    ['apps.main.apiUrl', 'apiUrl: "ftp://x"', 'BOTS_FILE apps.main.apiUrl must be an http(s) URL'],
    ['apps.main', 'aipKey: x', 'BOTS_FILE apps.main.aipKey is not a known key (appId, region, apiKey, apiUrl)'],
    ['bots[0].uid', 'uid: "' + 'u'.repeat(51) + '"', 'BOTS_FILE bots[0].uid must be at most 50 characters'],
    [
      'bots[0].groupChatSetting',
      'groupChatSetting: everything',
      'BOTS_FILE bots[0].groupChatSetting must be one of: mentionedMessages, slashedMessages, allMessages, none',
    ],
    [
      'bots[0].webhook.username',
      'webhook: { username: "a:b", password: pw }',
      'BOTS_FILE bots[0].webhook.username must not contain ":" (Basic Auth separator)',
    ],
    ['bots[0].webhook', 'webhook: { username: cometchat }', 'BOTS_FILE bots[0].webhook.password is required'],
    ['bots[0].webhook', 'webhook: cometchat', 'BOTS_FILE bots[0].webhook must be a mapping: { username, password }'],
    ['bots[0].sendsPerMinute', 'sendsPerMinute: 0', 'BOTS_FILE bots[0].sendsPerMinute must be at least 1'],
    ['bots[0].sendsPerMinute', 'sendsPerMinute: 2.5', 'BOTS_FILE bots[0].sendsPerMinute must be a whole number of sends a minute'],
    ['bots[0].responders', 'responders: faq', 'BOTS_FILE bots[0].responders must be a list of responder names'],
    ['bots[0].agentToken', 'agentToken: short', 'BOTS_FILE bots[0].agentToken must be at least 16 printable characters, without spaces'],
    [
      'bots[0]',
      'groupchatSetting: none',
      'BOTS_FILE bots[0].groupchatSetting is not a known key (uid, app, webhook, groupChatSetting, responders, sendsPerMinute, agentToken, llm)',
    ],
  ])('checks %s by the rules of its single-bot variable (%s)', (_path, line, problem) => {
    expect(problemsOf({ BOTS_FILE: botsFile(oneBotWith(line)) })).toEqual([problem]);
  });

  it('refuses a password longer than CometChat keeps, without showing it', () => {
    const long = `${'p'.repeat(45)}-secret`;
    const path = botsFile(`apps: { main: { appId: "123abc", region: us, apiKey: k } }
bots:
  - { uid: support-bot, app: main, webhook: { username: cometchat, password: "${long}" } }
`);
    const problems = problemsOf({ BOTS_FILE: path });
    expect(problems).toEqual([
      'BOTS_FILE bots[0].webhook.password must be at most 50 characters (CometChat’s limit for a bot’s Basic Auth password)',
    ]);
    expect(problems.join('\n')).not.toContain('secret');
  });

  it('means live mode when an app has an apiKey: every app needs one then; sandbox only with COMETCHAT_MODE=sandbox or no key', () => {
    const twoApps = (secondKey: string) =>
      botsFile(`apps:
  main: { appId: "123abc", region: us${secondKey} }
  staging: { appId: "456def", region: eu }
bots:
  - { uid: support-bot, app: main, webhook: { username: cometchat, password: pw } }
`);
    const needsKey =
      'BOTS_FILE apps.staging.apiKey is required in live mode (an app with an apiKey, or COMETCHAT_MODE=live, means live; COMETCHAT_MODE=sandbox for the sandbox)';
    expect(problemsOf({ BOTS_FILE: twoApps(', apiKey: k') })).toEqual([needsKey]);
    expect(problemsOf({ BOTS_FILE: twoApps(''), COMETCHAT_MODE: 'live' })).toEqual([needsKey.replace('staging', 'main'), needsKey]);
    expect(validateEnv({ BOTS_FILE: twoApps('') }).COMETCHAT_MODE).toBe('sandbox');
    const sandbox = validateEnv({ BOTS_FILE: twoApps(', apiKey: k'), COMETCHAT_MODE: 'sandbox' });
    expect(sandbox.COMETCHAT_MODE).toBe('sandbox');
    expect(botsConfig(sandbox).bots[0].app).toEqual({
      name: 'main',
      appId: '123abc',
      region: 'us',
      apiKey: 'k',
      apiUrl: 'https://123abc.api-us.cometchat.io/v3',
    });
    const sandboxPassword = botsFile(`apps: { main: { appId: "123abc", region: us, apiKey: k } }
bots:
  - { uid: support-bot, app: main, webhook: { username: sandbox, password: sandbox-dev-only } }
`);
    expect(problemsOf({ BOTS_FILE: sandboxPassword })).toEqual([
      'BOTS_FILE bots[0].webhook.password is the development-only sandbox password; a live bot needs its own',
    ]);
  });

  it('refuses a file it cannot read, or parse (with the line), or that lists no apps or bots', () => {
    expect(problemsOf({ BOTS_FILE: join(dir, 'missing.yaml') })).toEqual([`BOTS_FILE: cannot read ${join(dir, 'missing.yaml')}: no such file`]);
    const yaml = botsFile('apps:\n  main: { appId: "123abc", region: us }\nbots:\n  - uid: a\n   app: main\n');
    expect(problemsOf({ BOTS_FILE: yaml })).toEqual([`BOTS_FILE: ${yaml} is not valid YAML: Sequence item without - indicator (line 5, column 1)`]);
    const duplicateKey = botsFile('apps: {}\napps: {}\n');
    expect(problemsOf({ BOTS_FILE: duplicateKey })).toEqual([
      `BOTS_FILE: ${duplicateKey} is not valid YAML: Map keys must be unique (line 2, column 1)`,
    ]);
    const json = botsFile('{\n  "apps": {},\n  "bots": [1 2]\n}\n', 'json');
    expect(problemsOf({ BOTS_FILE: json })).toEqual([
      `BOTS_FILE: ${json} is not valid JSON: Expected ',' or ']' after array element (line 3, column 14)`,
    ]);
    expect(problemsOf({ BOTS_FILE: botsFile('- a\n- b\n') })).toEqual(['BOTS_FILE: the file must hold a mapping with apps and bots']);
    expect(problemsOf({ BOTS_FILE: botsFile('apps: {}\nbots: []\nbot: x\n') })).toEqual([
      'BOTS_FILE bot is not a known key (apps, bots)',
      'BOTS_FILE apps must map a local name to each CometChat app ({ appId, region, apiKey, apiUrl })',
      'BOTS_FILE bots must be a list of at least one bot',
    ]);
    expect(problemsOf({ BOTS_FILE: botsFile('{}\n') })).toEqual([
      'BOTS_FILE apps is required: the CometChat apps, each by a local name',
      'BOTS_FILE bots is required: the list of the bots this service serves',
    ]);
  });

  it('shows no secret in any message: not a value from the environment, nor the file excerpt a parser quotes', () => {
    // Every check that could name a value, with secrets everywhere a value is read.
    const path = botsFile(`
apps:
  main: { appId: "\${COMETCHAT_API_KEY}", region: "\${STAGING_API_KEY}", apiKey: "\${COMETCHAT_API_KEY}", apiUrl: "\${SUPPORT_AGENT_TOKEN}" }
bots:
  - uid: "\${SUPPORT_WEBHOOK_PASSWORD}"
    app: "\${STAGING_API_KEY}"
    webhook: { username: "\${SUPPORT_AGENT_TOKEN}:x", password: "\${SUPPORT_WEBHOOK_PASSWORD}\${SUPPORT_WEBHOOK_PASSWORD}\${SUPPORT_WEBHOOK_PASSWORD}" }
    agentToken: "\${SUPPORT_WEBHOOK_PASSWORD} x"
  - uid: "\${SUPPORT_WEBHOOK_PASSWORD}"
    app: main
    webhook: { username: u, password: "\${MISSING}" }
`);
    const problems = problemsOf({ ...withFile(path), WEBHOOK_PASSWORD: SECRETS.SUPPORT_WEBHOOK_PASSWORD, AGENT_TOKEN: SECRETS.SUPPORT_AGENT_TOKEN });
    expect(problems.length).toBeGreaterThanOrEqual(8);
    expect(problems.join('\n')).toContain('"${SUPPORT_WEBHOOK_PASSWORD}" and bots[1].uid "${SUPPORT_WEBHOOK_PASSWORD}" are one bot');
    expect(problems.join('\n')).toContain('bots[0].app: "${STAGING_API_KEY}" is not an app of the file');
    // Parsers quote the file around an error; a secret written in it stays out of the message.
    const yaml = botsFile(`apps: { main: { appId: "123abc", region: us, apiKey: "${SECRETS.COMETCHAT_API_KEY} } }\nbots: []\n`);
    expect(problemsOf({ BOTS_FILE: yaml })).toHaveLength(1);
    const json = botsFile(`{"apps": {"main": {"appId": "123abc", "region": "us", "apiKey": ${SECRETS.COMETCHAT_API_KEY}}}}`, 'json');
    expect(problemsOf({ BOTS_FILE: json })).toEqual([`BOTS_FILE: ${json} is not valid JSON: Unexpected token 'k'`]);
  });
});

describe('the bots namespace without BOTS_FILE', () => {
  const REQUIRED = {
    BOT_UID: 'Support-Bot',
    WEBHOOK_USERNAME: 'cometchat',
    WEBHOOK_PASSWORD: 's3cret',
    COMETCHAT_APP_ID: '2248348660ad9bd4',
    COMETCHAT_REGION: 'eu',
    COMETCHAT_API_KEY: 'key-123',
  };

  it('holds exactly one bot, of BOT_UID, WEBHOOK_*, COMETCHAT_*, GROUP_CHAT_SETTING and AGENT_TOKEN, in an app named default', () => {
    const env = validateEnv({ ...REQUIRED, GROUP_CHAT_SETTING: 'allMessages', AGENT_TOKEN: 'an-agent-token-0123' });
    expect(botsConfig(env)).toEqual({
      bots: [
        {
          uid: 'support-bot',
          app: {
            name: 'default',
            appId: '2248348660ad9bd4',
            region: 'eu',
            apiKey: 'key-123',
            apiUrl: 'https://2248348660ad9bd4.api-eu.cometchat.io/v3',
          },
          webhook: { username: 'cometchat', password: 's3cret' },
          groupChatSetting: 'allMessages',
          agentToken: 'an-agent-token-0123',
        },
      ],
    });
    // The same URL as the single-bot namespace computes, override included.
    const overridden = validateEnv({ ...REQUIRED, COMETCHAT_API_URL: 'http://localhost:4010/v3/' });
    expect(botsConfig(overridden).bots[0].app.apiUrl).toBe(cometchatConfig(overridden).apiUrl);
    expect(botsConfig(overridden).bots[0].app.apiUrl).toBe('http://localhost:4010/v3');
  });

  it('has no apiKey, and the placeholders, in sandbox mode', () => {
    const [bot] = botsConfig(validateEnv({ BOT_UID: 'bot', WEBHOOK_USERNAME: 'sandbox', WEBHOOK_PASSWORD: 'sandbox-dev-only' })).bots;
    expect(bot).toEqual({
      uid: 'bot',
      app: { name: 'default', appId: 'sandbox', region: 'us', apiUrl: 'https://sandbox.api-us.cometchat.io/v3' },
      webhook: { username: 'sandbox', password: 'sandbox-dev-only' },
      groupChatSetting: 'mentionedMessages',
    });
  });

  it('still requires the single-bot variables', () => {
    expect(problemsOf({ COMETCHAT_MODE: 'sandbox' })).toEqual([
      'BOT_UID is required',
      'WEBHOOK_USERNAME is required',
      'WEBHOOK_PASSWORD is required',
    ]);
  });
});

describe('with BOTS_FILE, the single-bot namespaces', () => {
  it("are the file's first bot until the service serves each bot", () => {
    const env = validateEnv(withFile(botsFile(TWO_APPS)));
    expect(botConfig(env)).toEqual({ uid: 'support-bot' });
    expect(webhookConfig(env)).toMatchObject({ username: 'cometchat', password: SECRETS.SUPPORT_WEBHOOK_PASSWORD });
    expect(cometchatConfig(env)).toMatchObject({
      mode: 'live',
      appId: '123abc',
      region: 'us',
      apiKey: SECRETS.COMETCHAT_API_KEY,
      apiUrl: main.apiUrl,
    });
    expect(env).toMatchObject({ GROUP_CHAT_SETTING: 'allMessages', AGENT_TOKEN: SECRETS.SUPPORT_AGENT_TOKEN });
  });

  it('come only from validateEnv, which read the file', () => {
    const env = Object.assign(new EnvironmentVariables(), { BOTS_FILE: 'bots.yaml' });
    expect(() => botsOf(env)).toThrow('BOTS_FILE is read by validateEnv(raw)');
  });
});
