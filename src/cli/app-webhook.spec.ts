import {
  currentAppWebhook,
  describeAppWebhookChange,
  desiredAppWebhook,
  diffAppWebhook,
  EVENTS_TRIGGER_IDS,
  eventsUrl,
  ignoredEnvelope,
} from './app-webhook';
import { UsageError } from './exit-codes';

describe('the app webhook', () => {
  it("derives the events URL from any URL register takes: the service's, its callback URL, or a bot's", () => {
    const events = 'https://bot.example.com/webhooks/cometchat/events';
    for (const url of [
      'https://bot.example.com',
      'https://bot.example.com/',
      'https://bot.example.com/webhooks/cometchat',
      'https://bot.example.com/webhooks/cometchat/',
      'https://bot.example.com/webhooks/cometchat/support-bot',
      events,
    ]) {
      expect(eventsUrl(url)).toBe(events);
    }
    expect(eventsUrl('https://example.com/bot/webhooks/cometchat')).toBe('https://example.com/bot/webhooks/cometchat/events');
    expect(eventsUrl('http://127.0.0.1:3000/bot')).toBe('http://127.0.0.1:3000/bot/webhooks/cometchat/events');
    expect(() => eventsUrl('not a url')).toThrow(UsageError);
  });

  it('asks for Basic Auth, enabled and retryOnFailure, and the four triggers the route handles', () => {
    expect(desiredAppWebhook({ webhookURL: 'https://x/webhooks/cometchat/events', username: 'u', password: 'p' })).toEqual({
      webhookURL: 'https://x/webhooks/cometchat/events',
      enabled: true,
      useBasicAuth: true,
      username: 'u',
      password: 'p',
      retryOnFailure: true,
    });
    expect(EVENTS_TRIGGER_IDS).toEqual(['message_edited', 'message_deleted', 'message_reaction_added', 'message_reaction_removed']);
  });

  it('reads an answer that leaves out false and empty fields, and lists only what differs', () => {
    const desired = desiredAppWebhook({ webhookURL: 'https://x/e', username: 'u', password: 'secret-1' });
    const current = currentAppWebhook({ id: 'w', webhookURL: 'https://x/e', useBasicAuth: true, username: 'u', password: 'old-secret' });
    expect(current).toMatchObject({ enabled: false, retryOnFailure: false });
    const changes = diffAppWebhook(current, desired);
    expect(changes.map((c) => c.field)).toEqual(['enabled', 'password', 'retryOnFailure']);
    expect(changes.map((c) => describeAppWebhookChange(c))).toEqual([
      'enabled: false → true',
      'password: changed (not shown)',
      'retryOnFailure: false → true',
    ]);
    expect(diffAppWebhook(currentAppWebhook({ ...desired }), desired)).toEqual([]);
    expect(describeAppWebhookChange({ field: 'password', from: undefined, to: 'secret-1' }, true)).toBe('password: (set, not shown)');
  });

  it("posts a receipt, a trigger the route ignores, in CometChat's envelope", () => {
    expect(ignoredEnvelope({ appId: 'app-a', region: 'eu' })).toMatchObject({
      trigger: 'message_delivery_receipt',
      appId: 'app-a',
      region: 'eu',
      webhook: 'doctor',
      data: { type: 'receipts', body: { action: 'delivered' } },
    });
  });
});
