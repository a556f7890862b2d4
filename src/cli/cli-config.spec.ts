import { ConfigValidationError } from '../config/env.validation';
import { cometchatApiUrl, eventsCredentials, managementSettings, missingCredentials, printableRedisUrl, readEnv } from './cli-config';
import { UsageError } from './exit-codes';

describe('CLI configuration', () => {
  it('validates only the variables a command needs', () => {
    const env = readEnv(['REDIS_URL', 'QUEUE_PREFIX'], { REDIS_URL: 'redis://redis:6379', COMETCHAT_REGION: 'mars' });
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(env.QUEUE_PREFIX).toBe('cometchat-bot');
  });

  it("names only the needed variables that are wrong, with the service's own messages", () => {
    let error: unknown;
    try {
      readEnv(['REDIS_URL', 'PORT'], { REDIS_URL: 'http://nope', PORT: 'x', COMETCHAT_REGION: 'mars' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).problems).toEqual(['PORT must be an integer number', 'REDIS_URL must be a redis:// or rediss:// URL']);
  });

  it('builds the REST base URL as the service does', () => {
    expect(cometchatApiUrl({ COMETCHAT_APP_ID: 'abc', COMETCHAT_REGION: 'eu' })).toBe('https://abc.api-eu.cometchat.io/v3');
    expect(cometchatApiUrl({ COMETCHAT_APP_ID: 'abc', COMETCHAT_REGION: 'eu', COMETCHAT_API_URL: 'http://proxy/v3/' })).toBe('http://proxy/v3');
  });

  it('lists the CometChat credentials that are not set', () => {
    expect(missingCredentials({ COMETCHAT_APP_ID: 'abc', COMETCHAT_REGION: 'us', COMETCHAT_API_KEY: ' ' })).toEqual(['COMETCHAT_API_KEY']);
    expect(missingCredentials({ COMETCHAT_APP_ID: 'abc', COMETCHAT_REGION: 'us', COMETCHAT_API_KEY: 'k' })).toEqual([]);
  });

  it('hides a password in a Redis URL', () => {
    expect(printableRedisUrl('redis://:s3cret@redis:6379/0')).toBe('redis://:****@redis:6379/0');
    expect(printableRedisUrl('rediss://user:s3cret@redis:6380')).toBe('rediss://user:****@redis:6380');
    expect(printableRedisUrl('redis://redis:6379')).toBe('redis://redis:6379');
  });
});

describe('CLI configuration of the app webhook', () => {
  it("gives the events route's credentials as the service reads them: EVENTS_WEBHOOK_*, else WEBHOOK_*", () => {
    const base = { WEBHOOK_USERNAME: 'cometchat', WEBHOOK_PASSWORD: 'callback-pw' };
    expect(eventsCredentials({ ...base, EVENTS_WEBHOOK_USERNAME: undefined, EVENTS_WEBHOOK_PASSWORD: undefined })).toEqual({
      username: 'cometchat',
      password: 'callback-pw',
      passwordSource: 'WEBHOOK_PASSWORD',
    });
    expect(eventsCredentials({ ...base, EVENTS_WEBHOOK_USERNAME: 'events', EVENTS_WEBHOOK_PASSWORD: 'events-pw' })).toEqual({
      username: 'events',
      password: 'events-pw',
      passwordSource: 'EVENTS_WEBHOOK_PASSWORD',
    });
  });

  it('reads the Management API credentials from options, else the environment; one without the other is a usage error', () => {
    expect(managementSettings({}, {})).toBeUndefined();
    expect(managementSettings({}, { COMETCHAT_MANAGEMENT_KEY: 'k', COMETCHAT_MANAGEMENT_SECRET: 's' })).toEqual({
      url: 'https://apimgmt.cometchat.io',
      key: 'k',
      secret: 's',
    });
    expect(
      managementSettings(
        { managementKey: 'k2', managementUrl: 'http://127.0.0.1:9/' },
        { COMETCHAT_MANAGEMENT_KEY: 'k', COMETCHAT_MANAGEMENT_SECRET: 's' },
      ),
    ).toEqual({ url: 'http://127.0.0.1:9', key: 'k2', secret: 's' });
    expect(() => managementSettings({ managementKey: 'k' }, {})).toThrow(/COMETCHAT_MANAGEMENT_SECRET \(or --management-secret\) is not set/);
    expect(() => managementSettings({}, { COMETCHAT_MANAGEMENT_SECRET: 's' })).toThrow(UsageError);
  });
});
