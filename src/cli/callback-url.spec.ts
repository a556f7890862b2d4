import { checkCallbackUrl, webhookUrl } from './callback-url';
import { UsageError } from './exit-codes';

describe('callback URLs', () => {
  it('takes https, and http only when allowed', () => {
    expect(checkCallbackUrl('https://bot.example.com/webhooks/cometchat').host).toBe('bot.example.com');
    expect(() => checkCallbackUrl('http://bot.example.com/webhooks/cometchat')).toThrow(UsageError);
    expect(checkCallbackUrl('http://127.0.0.1:3000/webhooks/cometchat', true).port).toBe('3000');
    expect(() => checkCallbackUrl('not a url')).toThrow(/not a URL/);
    expect(() => checkCallbackUrl(`https://bot.example.com/${'x'.repeat(250)}`)).toThrow(/at most 255/);
  });

  it('completes a bare service URL with the callback path', () => {
    expect(webhookUrl('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000/webhooks/cometchat');
    expect(webhookUrl('http://127.0.0.1:3000/other')).toBe('http://127.0.0.1:3000/other');
  });
});
