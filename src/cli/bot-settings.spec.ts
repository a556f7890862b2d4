import { changedFields, currentSettings, describeChange, desiredSettings, diffSettings } from './bot-settings';

const desired = desiredSettings({
  webhookURL: 'https://bot.example.com/webhooks/cometchat',
  groupChatSetting: 'mentionedMessages',
  username: 'cometchat',
  password: 'top-secret-password',
});

describe('bot settings', () => {
  it('reads the properties CometChat omits (empty or false) as their defaults', () => {
    expect(currentSettings({ uid: 'support-bot', webhookURL: 'https://old.example.com' })).toEqual({
      webhookURL: 'https://old.example.com',
      groupChatSetting: 'none',
      enabled: false,
      useBasicAuth: false,
      username: undefined,
      password: undefined,
    });
  });

  it('finds only the fields that differ, and puts only those in the update', () => {
    const current = currentSettings({ uid: 'support-bot', ...desired, groupChatSetting: 'allMessages', enabled: false });
    const changes = diffSettings(current, desired);
    expect(changes.map((c) => c.field)).toEqual(['groupChatSetting', 'enabled']);
    expect(changedFields(changes)).toEqual({ groupChatSetting: 'mentionedMessages', enabled: true });
    expect(diffSettings(currentSettings({ uid: 'support-bot', ...desired }), desired)).toEqual([]);
  });

  it('describes every change without the password', () => {
    const lines = [
      describeChange({ field: 'password', from: 'old-password', to: 'top-secret-password' }),
      describeChange({ field: 'password', from: undefined, to: 'top-secret-password' }),
      describeChange({ field: 'password', from: undefined, to: 'top-secret-password' }, true),
    ];
    expect(lines).toEqual(['password: changed (not shown)', 'password: (unset) → (set, not shown)', 'password: (set, not shown)']);
    expect(describeChange({ field: 'enabled', from: false, to: true })).toBe('enabled: false → true');
    expect(describeChange({ field: 'username', from: undefined, to: 'cometchat' })).toBe('username: (unset) → cometchat');
  });
});
