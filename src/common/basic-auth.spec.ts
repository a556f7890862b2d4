import { basicAuthHeader, basicChallenge, BasicCredentials, credentialsOf } from './basic-auth';

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
