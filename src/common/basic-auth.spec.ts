import { basicAuthHeader, basicChallenge, BasicCredentials, bearerChallenge, BearerToken, credentialsOf } from './basic-auth';

const basic = (userPass: string) => `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;

describe('credentialsOf', () => {
  it('decodes a Basic header into "user:password"', () => {
    expect(credentialsOf(basic('cometchat:s3cret'))).toBe('cometchat:s3cret');
  });

  it('accepts the scheme in any case', () => {
    expect(credentialsOf(basic('a:b').replace('Basic', 'bAsIc'))).toBe('a:b');
    expect(credentialsOf(basic('a:b').replace('Basic', 'BASIC'))).toBe('a:b');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Bearer abc.def'],
    ['bad base64 characters', 'Basic !!not-base64!!'],
    ['a scheme without credentials', 'Basic '],
  ])('returns undefined for %s', (_, header) => {
    expect(credentialsOf(header)).toBeUndefined();
  });
});

describe('BasicCredentials', () => {
  const credentials = new BasicCredentials('admin', 'pa:ss');

  it('accepts exactly these credentials', () => {
    expect(credentials.accepts(basicAuthHeader('admin', 'pa:ss'))).toBe(true);
    expect(credentials.accepts(basicAuthHeader('admin', 'pa:ss!'))).toBe(false);
    expect(credentials.accepts(basicAuthHeader('admin', ''))).toBe(false);
    expect(credentials.accepts(basicAuthHeader('Admin', 'pa:ss'))).toBe(false);
    expect(credentials.accepts(undefined)).toBe(false);
    expect(credentials.accepts('Bearer pa:ss')).toBe(false);
  });

  it('words the challenge of a realm', () => {
    expect(basicChallenge('ops')).toBe('Basic realm="ops", charset="UTF-8"');
  });
});

describe('BearerToken', () => {
  const token = new BearerToken('agent-token-0123456789');

  it('accepts exactly this token, the scheme in any case', () => {
    expect(token.accepts('Bearer agent-token-0123456789')).toBe(true);
    expect(token.accepts('bearer agent-token-0123456789')).toBe(true);
    expect(token.accepts('Bearer agent-token-012345678')).toBe(false);
    expect(token.accepts('Bearer agent-token-0123456789x')).toBe(false);
    expect(token.accepts('Bearer ')).toBe(false);
    expect(token.accepts('agent-token-0123456789')).toBe(false);
    expect(token.accepts(basicAuthHeader('agent', 'agent-token-0123456789'))).toBe(false);
    expect(token.accepts(undefined)).toBe(false);
  });

  it('words the challenge of a realm', () => {
    expect(bearerChallenge('agents')).toBe('Bearer realm="agents"');
  });
});
