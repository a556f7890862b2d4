import type { BotDefinition } from '../config/bots-file';
import { ServedBots } from '../config/served-bots';
import { AGENT_PATH_PER_BOT, AgentBots, NO_AGENT_HERE } from './agent-bots';

const bot = (uid: string, agentToken?: string): BotDefinition => ({
  uid,
  app: { name: 'main', appId: 'app', region: 'us', apiUrl: 'http://127.0.0.1:9' },
  webhook: { username: 'cometchat', password: `${uid}-password` },
  groupChatSetting: 'mentionedMessages',
  ...(agentToken === undefined ? {} : { agentToken }),
});
const agentsOf = (...bots: BotDefinition[]) => new AgentBots(new ServedBots({ bots }));
const bearer = (token: string) => `Bearer ${token}`;

describe('AgentBots', () => {
  it("gives the one bot's endpoint on the shared path and on its own, as AGENT_TOKEN always did", () => {
    const agents = agentsOf(bot('support-bot', 'support-token-0123456789'));
    for (const path of [undefined, 'support-bot', 'Support-Bot']) {
      const agent = agents.of(path);
      expect(agent).toMatchObject({ bot: { uid: 'support-bot' } });
      expect('token' in agent && agent.token.accepts(bearer('support-token-0123456789'))).toBe(true);
    }
    expect(agents.of('sales-bot')).toEqual({ missing: NO_AGENT_HERE });
  });

  it('gives each bot with a token its own path, checked against its own token; a bot without one has none', () => {
    const agents = agentsOf(bot('support-bot', 'support-token-0123456789'), bot('sales-bot', 'sales-token-0123456789'), bot('ops-bot'));
    const support = agents.of('support-bot');
    const sales = agents.of('SALES-BOT');
    if (!('token' in support) || !('token' in sales)) throw new Error('both bots have an endpoint');
    expect([support.bot.uid, sales.bot.uid]).toEqual(['support-bot', 'sales-bot']);
    expect(support.token.accepts(bearer('support-token-0123456789'))).toBe(true);
    expect(support.token.accepts(bearer('sales-token-0123456789'))).toBe(false);
    expect(sales.token.accepts(bearer('sales-token-0123456789'))).toBe(true);
    expect(agents.of('ops-bot')).toEqual({ missing: NO_AGENT_HERE });
    expect(agents.of('billing-bot')).toEqual({ missing: NO_AGENT_HERE });
    // Two agents: the shared path does not guess, it points to the per-bot path (naming no bot).
    expect(agents.of(undefined)).toEqual({ missing: AGENT_PATH_PER_BOT });
    expect(AGENT_PATH_PER_BOT).not.toMatch(/support-bot|sales-bot|ops-bot/);
  });

  it('keeps the shared path for the only bot with a token among several', () => {
    const agents = agentsOf(bot('support-bot'), bot('sales-bot', 'sales-token-0123456789'));
    expect(agents.of(undefined)).toMatchObject({ bot: { uid: 'sales-bot' } });
    expect(agents.of('support-bot')).toEqual({ missing: NO_AGENT_HERE });
  });
});
