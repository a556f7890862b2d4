import { cometchatConfig, handoffConfig, llmConfig, queueConfig, tracingConfig } from './app.config';
import { ConfigValidationError, parseHostList, SANDBOX_WEBHOOK_PASSWORD, validateEnv } from './env.validation';

const REQUIRED = {
  BOT_UID: 'support-bot',
  WEBHOOK_USERNAME: 'cometchat',
  WEBHOOK_PASSWORD: 's3cret',
  COMETCHAT_APP_ID: '2248348660ad9bd4',
  COMETCHAT_REGION: 'us',
  COMETCHAT_API_KEY: 'key-123',
};

/** The problems reported for an env, or a failure if it validated. */
function problemsOf(env: Record<string, unknown>): string[] {
  try {
    validateEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return (error as ConfigValidationError).problems;
  }
  throw new Error('expected validateEnv to throw');
}

describe('validateEnv', () => {
  it('applies the documented defaults when only the required variables are given', () => {
    const env = validateEnv({ ...REQUIRED });
    expect(env).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://localhost:6379',
      QUEUE_PREFIX: 'cometchat-bot',
      APP_ROLE: 'all',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ...REQUIRED,
    });
    expect(env.COMETCHAT_API_URL).toBeUndefined();
  });

  it('takes LOG_FORMAT json or pretty, and names the choices otherwise', () => {
    expect(validateEnv({ ...REQUIRED, LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(problemsOf({ ...REQUIRED, LOG_FORMAT: 'xml' })).toEqual(['LOG_FORMAT must be one of: json, pretty']);
  });

  it('lowercases BOT_UID, as CometChat does with UIDs', () => {
    expect(validateEnv({ ...REQUIRED, BOT_UID: 'Support-BOT' }).BOT_UID).toBe('support-bot');
  });

  it('treats an empty string as unset', () => {
    const env = validateEnv({ ...REQUIRED, PORT: '', HOST: '', APP_ROLE: '', COMETCHAT_API_URL: '' });
    expect(env.PORT).toBe(3000);
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.APP_ROLE).toBe('all');
    expect(env.COMETCHAT_API_URL).toBeUndefined();
  });

  it('takes an optional cap on CometChat requests per minute, unset by default', () => {
    expect(validateEnv({ ...REQUIRED }).COMETCHAT_MAX_REQUESTS_PER_MINUTE).toBeUndefined();
    expect(validateEnv({ ...REQUIRED, COMETCHAT_MAX_REQUESTS_PER_MINUTE: '500' }).COMETCHAT_MAX_REQUESTS_PER_MINUTE).toBe(500);
    expect(problemsOf({ ...REQUIRED, COMETCHAT_MAX_REQUESTS_PER_MINUTE: '0' })).toEqual([
      expect.stringContaining('COMETCHAT_MAX_REQUESTS_PER_MINUTE'),
    ]);
    expect(problemsOf({ ...REQUIRED, COMETCHAT_MAX_REQUESTS_PER_MINUTE: 'lots' })).toEqual([
      expect.stringContaining('COMETCHAT_MAX_REQUESTS_PER_MINUTE'),
    ]);
  });

  it('turns tracing on only with an OTLP endpoint and the SDK not disabled, naming bad OTEL_* values', () => {
    const tracing = (extra: Record<string, string>) => tracingConfig(validateEnv({ ...REQUIRED, ...extra })).enabled;
    expect(tracing({})).toBe(false);
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'false' })).toBe(true);
    expect(
      problemsOf({
        ...REQUIRED,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http',
        OTEL_SDK_DISABLED: 'yes',
      }),
    ).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL',
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be one of: http/protobuf, http/json, grpc',
      'OTEL_SDK_DISABLED must be true or false',
    ]);
  });

  it('retries a reply for 30 minutes by default, with delays capped at a minute', () => {
    const env = validateEnv({ ...REQUIRED });
    expect(env.REPLIES_RETRY_BUDGET_MS).toBe(30 * 60_000);
    expect(env.RETRY_BACKOFF_MAX_MS).toBe(60_000);
    expect(problemsOf({ ...REQUIRED, RETRY_BACKOFF_MS: '5000', RETRY_BACKOFF_MAX_MS: '1000' })).toEqual([
      'RETRY_BACKOFF_MAX_MS (1000) must be at least RETRY_BACKOFF_MS (5000)',
    ]);
  });

  it('refuses REPLIES_ATTEMPTS, which a time budget replaced, rather than ignore it', () => {
    expect(problemsOf({ ...REQUIRED, REPLIES_ATTEMPTS: '8' })).toEqual([
      expect.stringMatching(/^REPLIES_ATTEMPTS is no longer read: .*REPLIES_RETRY_BUDGET_MS/),
    ]);
  });

  it('takes Sentinel or Cluster instead of REDIS_URL, with the same clear errors', () => {
    const sentinel = validateEnv({ ...REQUIRED, REDIS_SENTINELS: 'a:26379,[::1]:26380', REDIS_SENTINEL_NAME: 'mymaster' });
    expect(parseHostList(sentinel.REDIS_SENTINELS!)).toEqual([
      { host: 'a', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    expect(validateEnv({ ...REQUIRED, REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).QUEUE_PREFIX).toBe('{cometchat-bot}');
    expect(validateEnv({ ...REQUIRED }).QUEUE_PREFIX).toBe('cometchat-bot');
    expect(problemsOf({ ...REQUIRED, REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: 'bot' })).toEqual([
      expect.stringMatching(/^QUEUE_PREFIX must hold a \{hash tag\}/),
    ]);
    expect(problemsOf({ ...REQUIRED, REDIS_SENTINELS: 'a:26379' })).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME is required/)]);
    expect(problemsOf({ ...REQUIRED, REDIS_SENTINELS: 'a', REDIS_SENTINEL_NAME: 'm' })).toEqual(['REDIS_SENTINELS must be host:port,host:port']);
    expect(problemsOf({ ...REQUIRED, REDIS_URL: 'redis://x:6379', REDIS_CLUSTER_NODES: 'a:7000' })).toEqual([
      expect.stringMatching(/^REDIS_URL: set it or REDIS_CLUSTER_NODES, not both/),
    ]);
    expect(problemsOf({ ...REQUIRED, REDIS_PASSWORD: 'p' })).toEqual([
      expect.stringMatching(/^REDIS_USERNAME \/ REDIS_PASSWORD are for Sentinel or Cluster/),
    ]);
  });

  it('holds WEBHOOK_PASSWORD to CometChat’s 50 characters', () => {
    expect(validateEnv({ ...REQUIRED, WEBHOOK_PASSWORD: 'p'.repeat(50) }).WEBHOOK_PASSWORD).toHaveLength(50);
    expect(problemsOf({ ...REQUIRED, WEBHOOK_PASSWORD: 'p'.repeat(51) })).toEqual([
      expect.stringMatching(/^WEBHOOK_PASSWORD must be at most 50 characters/),
    ]);
  });

  it('converts numeric strings to numbers', () => {
    expect(validateEnv({ ...REQUIRED, PORT: '8080' }).PORT).toBe(8080);
  });

  it('names every missing required variable once, in a readable error', () => {
    let error: unknown;
    try {
      validateEnv({ COMETCHAT_MODE: 'live' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const { problems, message } = error as ConfigValidationError;
    expect(message.startsWith('Invalid configuration')).toBe(true);
    for (const name of Object.keys(REQUIRED)) {
      // Each problem starts with the variable it is about, so an operator can act on it line by line.
      const about = problems.filter((p) => p.startsWith(`${name} `) || p.startsWith(`${name}:`));
      expect(about).toHaveLength(1);
      expect(about[0]).toMatch(/required/);
      expect(message).toContain(name);
    }
    expect(problems).toHaveLength(Object.keys(REQUIRED).length);
  });

  it.each([
    ['COMETCHAT_REGION', 'xx'],
    ['APP_ROLE', 'web'],
    ['PORT', 'abc'],
    ['REDIS_URL', 'http://x'],
    ['QUEUE_PREFIX', 'bot:prod'],
    ['COMETCHAT_API_URL', 'not a url'],
  ])('reports %s=%p as invalid', (name, value) => {
    const problems = problemsOf({ ...REQUIRED, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
  });

  it('accepts a valid COMETCHAT_API_URL override', () => {
    expect(validateEnv({ ...REQUIRED, COMETCHAT_API_URL: 'http://127.0.0.1:4010/v3' }).COMETCHAT_API_URL).toBe('http://127.0.0.1:4010/v3');
  });
});

describe('COMETCHAT_MODE', () => {
  const { COMETCHAT_APP_ID, COMETCHAT_REGION, COMETCHAT_API_KEY, ...webhookOnly } = REQUIRED;

  it('is live when the API key is set and the mode is not', () => {
    expect(validateEnv({ ...REQUIRED }).COMETCHAT_MODE).toBe('live');
  });

  it('is sandbox when there is no API key, with placeholders for the other credentials', () => {
    const env = validateEnv(webhookOnly);
    expect(env).toMatchObject({ COMETCHAT_MODE: 'sandbox', COMETCHAT_APP_ID: 'sandbox', COMETCHAT_REGION: 'us', COMETCHAT_API_KEY: '' });
    expect(validateEnv({ ...webhookOnly, COMETCHAT_API_KEY: '' }).COMETCHAT_MODE).toBe('sandbox');
  });

  it('is sandbox when asked for, even with credentials, which are kept', () => {
    expect(validateEnv({ ...REQUIRED, COMETCHAT_MODE: 'sandbox' })).toMatchObject({ COMETCHAT_MODE: 'sandbox', COMETCHAT_API_KEY });
  });

  it('checks credentials given in sandbox mode', () => {
    expect(problemsOf({ ...webhookOnly, COMETCHAT_REGION: 'mars' })).toEqual(['COMETCHAT_REGION must be one of: us, eu, in']);
  });

  it('live without an API key names the missing credentials', () => {
    expect(problemsOf({ ...webhookOnly, COMETCHAT_MODE: 'live' })).toEqual([
      'COMETCHAT_APP_ID is required',
      'COMETCHAT_REGION is required',
      'COMETCHAT_API_KEY is required',
    ]);
    expect(problemsOf({ ...REQUIRED, COMETCHAT_API_KEY: '', COMETCHAT_MODE: 'live' })).toEqual(['COMETCHAT_API_KEY is required']);
  });

  it('refuses an unknown mode, and then never falls back to sandbox', () => {
    expect(problemsOf({ ...webhookOnly, COMETCHAT_MODE: 'test' })).toEqual([
      'COMETCHAT_MODE must be one of: live, sandbox',
      'COMETCHAT_APP_ID is required',
      'COMETCHAT_REGION is required',
      'COMETCHAT_API_KEY is required',
    ]);
  });

  it("refuses compose's development-only webhook password in live mode only", () => {
    expect(problemsOf({ ...REQUIRED, WEBHOOK_PASSWORD: SANDBOX_WEBHOOK_PASSWORD })).toEqual([
      'WEBHOOK_PASSWORD is the development-only sandbox password; a live bot needs its own',
    ]);
    expect(validateEnv({ ...webhookOnly, WEBHOOK_PASSWORD: SANDBOX_WEBHOOK_PASSWORD }).COMETCHAT_MODE).toBe('sandbox');
  });

  it('reads the sandbox settings', () => {
    expect(validateEnv(webhookOnly)).toMatchObject({ SANDBOX_UI: false, SANDBOX_OUTBOX_SIZE: 500 });
    expect(validateEnv({ ...REQUIRED, SANDBOX_UI: 'true', SANDBOX_OUTBOX_SIZE: '3' })).toMatchObject({ SANDBOX_UI: true, SANDBOX_OUTBOX_SIZE: 3 });
    expect(problemsOf({ ...REQUIRED, SANDBOX_OUTBOX_SIZE: '0' })[0]).toContain('SANDBOX_OUTBOX_SIZE');
  });
});

describe('ADMIN_USERNAME / ADMIN_PASSWORD', () => {
  it('are unset by default: no queue dashboard', () => {
    const env = validateEnv({ ...REQUIRED });
    expect(env.ADMIN_USERNAME).toBeUndefined();
    expect(env.ADMIN_PASSWORD).toBeUndefined();
    expect(validateEnv({ ...REQUIRED, ADMIN_USERNAME: '', ADMIN_PASSWORD: '' }).ADMIN_USERNAME).toBeUndefined();
  });

  it('are taken together', () => {
    expect(validateEnv({ ...REQUIRED, ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'dashboard-secret' })).toMatchObject({
      ADMIN_USERNAME: 'ops',
      ADMIN_PASSWORD: 'dashboard-secret',
    });
  });

  it('refuse one without the other, naming both', () => {
    expect(problemsOf({ ...REQUIRED, ADMIN_USERNAME: 'ops' })).toEqual([
      'ADMIN_USERNAME is set but ADMIN_PASSWORD is not: the queue dashboard needs both, or neither for no dashboard',
    ]);
    expect(problemsOf({ ...REQUIRED, ADMIN_PASSWORD: 'dashboard-secret' })).toEqual([
      'ADMIN_PASSWORD is set but ADMIN_USERNAME is not: the queue dashboard needs both, or neither for no dashboard',
    ]);
    expect(problemsOf({ ...REQUIRED, ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: '' })).toHaveLength(1);
  });

  it('refuse a username with the Basic Auth separator', () => {
    expect(problemsOf({ ...REQUIRED, ADMIN_USERNAME: 'ops:team', ADMIN_PASSWORD: 'dashboard-secret' })).toEqual([
      'ADMIN_USERNAME must not contain ":" (Basic Auth separator)',
    ]);
  });
});

describe('HANDOFF_TEXT / HANDOFF_NOTIFY / HANDOFF_TIMEOUT_MS', () => {
  it('hand off for 24 h with a text that says /bot brings the bot back, and notify nobody, by default', () => {
    const config = handoffConfig(validateEnv({ ...REQUIRED }));
    expect(config).toEqual({ text: expect.stringContaining('/bot') as string, notify: undefined, timeoutMs: 86_400_000 });
    expect(handoffConfig(validateEnv({ ...REQUIRED, HANDOFF_NOTIFY: '' })).notify).toBeUndefined();
  });

  it('take a group or a user to notify, lowercased as CometChat does', () => {
    expect(handoffConfig(validateEnv({ ...REQUIRED, HANDOFF_NOTIFY: 'group:Support-Team' })).notify).toEqual({ type: 'group', id: 'support-team' });
    expect(handoffConfig(validateEnv({ ...REQUIRED, HANDOFF_NOTIFY: ' user:agent_1 ' })).notify).toEqual({ type: 'user', id: 'agent_1' });
  });

  it('refuse anything else with a clear error', () => {
    for (const value of ['support-team', 'channel:x', 'group:', 'group:a b', 'user:a:b']) {
      expect(problemsOf({ ...REQUIRED, HANDOFF_NOTIFY: value })).toEqual([
        'HANDOFF_NOTIFY must be group:<guid> or user:<uid> (where the transcript of a handed-off conversation is posted), as in group:support-team',
      ]);
    }
    expect(problemsOf({ ...REQUIRED, HANDOFF_TIMEOUT_MS: '10' })).toEqual(['HANDOFF_TIMEOUT_MS must not be less than 1000']);
  });
});

describe('AGENT_TOKEN / AGENT_HEARTBEAT_MS', () => {
  it('leave the AG-UI endpoint off by default, with a 15 s heartbeat', () => {
    const env = validateEnv(REQUIRED);
    expect(env.AGENT_TOKEN).toBeUndefined();
    expect(env.AGENT_HEARTBEAT_MS).toBe(15_000);
  });

  it('take a token of 16 printable characters or more', () => {
    expect(validateEnv({ ...REQUIRED, AGENT_TOKEN: 'a-token-of-16-ch' }).AGENT_TOKEN).toBe('a-token-of-16-ch');
  });

  it('refuse a short token or one with spaces, naming it', () => {
    for (const AGENT_TOKEN of ['short', 'a token with spaces in it']) {
      expect(() => validateEnv({ ...REQUIRED, AGENT_TOKEN })).toThrow('AGENT_TOKEN must be at least 16 printable characters, without spaces');
    }
  });
});

describe('LLM_*', () => {
  it('leave the LLM responder off by default, with the documented defaults ready', () => {
    const llm = llmConfig(validateEnv({ ...REQUIRED }));
    expect(llm).toMatchObject({
      model: undefined,
      baseUrl: 'https://api.openai.com/v1',
      historyTurns: 20,
      historyMaxTokens: 8000,
      maxSteps: 5,
      maxOutputTokens: 1024,
      dailyTokensPerUser: undefined,
      streaming: true,
    });
    expect(llm.limitText).toMatch(/limit/);
  });

  it('read the model, the endpoint (without a trailing slash) and the budgets', () => {
    const llm = llmConfig(
      validateEnv({
        ...REQUIRED,
        LLM_MODEL: 'gpt-4o-mini',
        LLM_BASE_URL: 'http://localhost:11434/v1/',
        LLM_DAILY_TOKENS_PER_USER: '50000',
        LLM_STREAMING: 'false',
      }),
    );
    expect(llm).toMatchObject({ model: 'gpt-4o-mini', baseUrl: 'http://localhost:11434/v1', dailyTokensPerUser: 50000, streaming: false });
  });

  it('refuse a system prompt given twice, a bad URL and out-of-range numbers', () => {
    expect(problemsOf({ ...REQUIRED, LLM_SYSTEM_PROMPT: 'Be kind.', LLM_SYSTEM_PROMPT_FILE: 'prompt.txt' })).toEqual([
      'LLM_SYSTEM_PROMPT and LLM_SYSTEM_PROMPT_FILE: set one of them, not both',
    ]);
    expect(problemsOf({ ...REQUIRED, LLM_BASE_URL: 'localhost:11434' })).toEqual(['LLM_BASE_URL must be an http(s) URL']);
    expect(problemsOf({ ...REQUIRED, LLM_MAX_STEPS: '0', LLM_DAILY_TOKENS_PER_USER: 'lots' })).toHaveLength(2);
  });
});

describe('LLM_TIMEOUT_MS', () => {
  it('defaults to two thirds of RESPONDER_TIMEOUT_MS, so a slow model is retried before the responder times out', () => {
    expect(llmConfig(validateEnv(REQUIRED)).timeoutMs).toBe(20_000);
    expect(llmConfig(validateEnv({ ...REQUIRED, RESPONDER_TIMEOUT_MS: '9000' })).timeoutMs).toBe(6000);
  });

  it('is refused at or past RESPONDER_TIMEOUT_MS, naming both', () => {
    expect(() => validateEnv({ ...REQUIRED, LLM_TIMEOUT_MS: '30000' })).toThrow('LLM_TIMEOUT_MS (30000) must be below RESPONDER_TIMEOUT_MS (30000)');
  });
});

describe('cometchatConfig', () => {
  it('derives the API URL from app id and region by default', () => {
    expect(cometchatConfig(validateEnv({ ...REQUIRED, COMETCHAT_REGION: 'eu' })).apiUrl).toBe('https://2248348660ad9bd4.api-eu.cometchat.io/v3');
  });

  it('uses an override without its trailing slash', () => {
    expect(cometchatConfig(validateEnv({ ...REQUIRED, COMETCHAT_API_URL: 'http://localhost:4010/v3/' })).apiUrl).toBe('http://localhost:4010/v3');
  });
});

describe('JOB_LOCK_MS', () => {
  it('by default finds a job whose process died within 30 s (its lock, then a stalled check every half lock)', () => {
    const queue = queueConfig(validateEnv(REQUIRED));
    expect(queue.lockMs + queue.recoveryCheckMs).toBeLessThanOrEqual(30_000);
    // A lost hand-off costs at most half a lock too.
    expect(queue.recoveryCheckMs).toBe(queue.lockMs / 2);
  });
});
