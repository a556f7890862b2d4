import { cometchatConfig } from './app.config';
import { ConfigValidationError, validateEnv } from './env.validation';

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
      ...REQUIRED,
    });
    expect(env.COMETCHAT_API_URL).toBeUndefined();
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

  it('converts numeric strings to numbers', () => {
    expect(validateEnv({ ...REQUIRED, PORT: '8080' }).PORT).toBe(8080);
  });

  it('names every missing required variable once, in a readable error', () => {
    let error: unknown;
    try {
      validateEnv({});
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
    expect(validateEnv({ ...REQUIRED, COMETCHAT_API_URL: 'http://127.0.0.1:4010/v3' }).COMETCHAT_API_URL).toBe(
      'http://127.0.0.1:4010/v3',
    );
  });
});

describe('cometchatConfig', () => {
  const saved = process.env;
  afterEach(() => {
    process.env = saved;
  });

  it('derives the API URL from app id and region by default', () => {
    process.env = { ...REQUIRED, COMETCHAT_REGION: 'eu' };
    expect(cometchatConfig().apiUrl).toBe('https://2248348660ad9bd4.api-eu.cometchat.io/v3');
  });

  it('uses an override without its trailing slash', () => {
    process.env = { ...REQUIRED, COMETCHAT_API_URL: 'http://localhost:4010/v3/' };
    expect(cometchatConfig().apiUrl).toBe('http://localhost:4010/v3');
  });
});
