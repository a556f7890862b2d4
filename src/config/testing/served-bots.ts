import type { BotDefinition } from '../bots-file';
import { ServedBots } from '../served-bots';

/** A bot for specs: `support-bot` of an app nobody listens on, each setting overridable. */
export const testBot = (overrides: Partial<BotDefinition> = {}): BotDefinition => ({
  uid: 'support-bot',
  app: { name: 'default', appId: 'app', region: 'us', apiUrl: 'http://127.0.0.1:9' },
  webhook: { username: 'u', password: 'p' },
  groupChatSetting: 'mentionedMessages',
  ...overrides,
});

/** The bots a spec's classes serve: by default the one test bot. */
export const servedBots = (...bots: BotDefinition[]) => new ServedBots({ bots: bots.length > 0 ? bots : [testBot()] });
