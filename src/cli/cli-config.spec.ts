import { ConfigValidationError } from '../config/env.validation';
import { cometchatApiUrl, missingCredentials, printableRedisUrl, readEnv } from './cli-config';

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
