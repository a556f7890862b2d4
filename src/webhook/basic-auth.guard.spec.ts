import { ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { BASIC_REALM, BasicAuthGuard } from './basic-auth.guard';

const basic = (userPass: string) => `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;

describe('BasicAuthGuard', () => {
  const guard = new BasicAuthGuard({
    username: 'cometchat',
    password: 's3cret',
    bodyLimit: 1024 * 1024,
    enqueueTimeoutMs: 1500,
  });

  function contextWith(authorization?: string) {
    const headers: Record<string, string> = {};
    const response = { header: (name: string, value: string) => ((headers[name.toLowerCase()] = value), response) };
    const request = { headers: authorization === undefined ? {} : { authorization } };
    const context = {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ExecutionContext;
    return { context, headers };
  }

  it('lets the right credentials through without touching the response', () => {
    const { context, headers } = contextWith(basic('cometchat:s3cret'));
    expect(guard.canActivate(context)).toBe(true);
    expect(headers).toEqual({});
  });

  it.each([
    ['a wrong password', basic('cometchat:wrong')],
    ['a wrong user', basic('someone:s3cret')],
    ['no Authorization header', undefined],
    ['a Bearer token', 'Bearer s3cret'],
  ])('refuses %s with 401 and a Basic challenge', (_, authorization) => {
    const { context, headers } = contextWith(authorization);
    expect(() => guard.canActivate(context)).toThrow(UnauthorizedException);
    expect(headers['www-authenticate']).toBe(BASIC_REALM);
  });

  it('accepts exactly the configured credentials from a header (the webhook route asks it directly)', () => {
    expect(guard.accepts(basic('cometchat:s3cret'))).toBe(true);
    expect(guard.accepts(basic('cometchat:s3cret!'))).toBe(false);
    expect(guard.accepts(basic('cometchat:'))).toBe(false);
    expect(guard.accepts(undefined)).toBe(false);
  });
});
