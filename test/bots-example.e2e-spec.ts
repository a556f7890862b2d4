import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ServedBots } from '../src/config/served-bots';
import { basicAuthOf, botCallback, NO_SINGLE_BOT } from './support/several-bots';
import { TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');
/** What bots.example.yaml reads from the environment (.env with docker compose). */
const SECRETS = {
  COMETCHAT_API_KEY: 'e2e-example-api-key',
  SUPPORT_WEBHOOK_PASSWORD: 'e2e-example-support-password',
  SALES_WEBHOOK_PASSWORD: 'e2e-example-sales-password',
};

/** The two-bot example the docs give (bots.example.yaml, docker-compose.bots.yml) is one the service runs. */
describe('bots.example.yaml', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start('bots-example', { ...NO_SINGLE_BOT, ...SECRETS, BOTS_FILE: join(ROOT, 'bots.example.yaml') });
  });
  afterAll(() => app?.close());

  it('boots with both bots, each taking its own callbacks with its own credentials', async () => {
    expect(app.app.get(ServedBots).all.map(({ uid, responders, sendsPerMinute }) => ({ uid, responders, sendsPerMinute }))).toEqual([
      { uid: 'support-bot', responders: undefined, sendsPerMinute: 30 },
      { uid: 'sales-bot', responders: ['help', 'echo'], sendsPerMinute: undefined },
    ]);
    const post = (bot: string, password: string) =>
      app.app.inject({
        method: 'POST',
        url: `/webhooks/cometchat/${bot}`,
        headers: { authorization: basicAuthOf('cometchat', password), 'content-type': 'application/json' },
        payload: JSON.stringify(botCallback(bot, '/help')),
      });
    expect((await post('sales-bot', SECRETS.SALES_WEBHOOK_PASSWORD)).json()).toMatchObject({ status: 'accepted' });
    expect((await post('support-bot', SECRETS.SUPPORT_WEBHOOK_PASSWORD)).json()).toMatchObject({ status: 'accepted' });
    expect((await post('support-bot', SECRETS.SALES_WEBHOOK_PASSWORD)).statusCode).toBe(401);
  });

  it('is what docker-compose.bots.yml gives the service: the file, its secrets, and no single-bot variable', () => {
    const compose = spawnSync('docker-compose', ['-f', 'docker-compose.yml', '-f', 'docker-compose.bots.yml', 'config'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...SECRETS },
    });
    if (compose.error) throw new Error(`docker-compose is needed for this check (.ci/run installs it): ${compose.error.message}`);
    expect(compose.stderr).toBe('');
    expect(compose.status).toBe(0);
    const out = compose.stdout;
    expect(out).toMatch(/BOTS_FILE: \/config\/bots\.yaml/);
    expect(out).toContain(`${join(ROOT, 'bots.yaml')}:/config/bots.yaml:ro`);
    for (const name of ['BOT_UID', 'WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD', 'COMETCHAT_APP_ID', 'AGENT_TOKEN'])
      expect(out).toMatch(new RegExp(`${name}: ''`));
    for (const [name, value] of Object.entries(SECRETS)) expect(out).toContain(`${name}: ${value}`);
  });
});
