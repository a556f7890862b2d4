import type { Browser } from 'playwright-core';
import { QUEUE_NAMES } from '../src/queue/queue-definitions';
import { launchChromium } from './support/browser';
import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { basicAuth, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const ADMIN_USERNAME = 'ops';
const ADMIN_PASSWORD = 'e2e-dashboard-password';
const ADMIN = { ADMIN_USERNAME, ADMIN_PASSWORD };
const admin = (user = ADMIN_USERNAME, password = ADMIN_PASSWORD) => basicAuth(user, password);

/** Where the screenshot for a human look goes (not part of the repository). */
const SCREENSHOT = '/tmp/admin-dashboard.png';

const get = (app: TestApp, url: string, authorization?: string) =>
  app.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

describe('queue dashboard without ADMIN_*', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start('admin-off', { APP_ROLE: 'api' });
  });
  afterAll(() => app?.close());

  it.each(['/admin/queues', '/admin/queues/', '/admin/queues/api/queues'])('is not served at all: 404 at %s', async (url) => {
    expect((await get(app, url)).statusCode).toBe(404);
    expect((await get(app, url, admin())).statusCode).toBe(404);
  });
});

describe('queue dashboard with ADMIN_*', () => {
  let app: TestApp;
  beforeAll(async () => {
    // No workers: a job added here stays waiting, so the board's counts can be checked exactly.
    app = await TestApp.start('admin-on', { APP_ROLE: 'api', ...ADMIN });
  });
  afterAll(() => app?.close());

  it.each([
    ['no credentials', undefined],
    ['a wrong password', admin(ADMIN_USERNAME, 'wrong')],
    ['a wrong user', admin('someone', ADMIN_PASSWORD)],
    ["the webhook's credentials", basicAuth()],
    ['a Bearer token', `Bearer ${ADMIN_PASSWORD}`],
  ])('refuses %s with 401 and a Basic challenge, on the page, its API and its files', async (_, authorization) => {
    for (const url of ['/admin/queues', '/admin/queues/queue/events', '/admin/queues/api/queues', '/admin/queues/static/favicon.ico']) {
      const response = await get(app, url, authorization);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="[^"]+"/);
      expect(response.body).not.toContain('bull');
    }
  });

  it('serves the page with the right credentials', async () => {
    for (const url of ['/admin/queues', '/admin/queues/']) {
      const response = await get(app, url, admin());
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/html');
      expect(response.body).toContain('cometchat-bot');
    }
    expect((await get(app, '/admin/queues/static/favicon.ico', admin())).statusCode).toBe(200);
  });

  it("lists both queues in its API, with the jobs under the service's QUEUE_PREFIX", async () => {
    await app.queue('replies').add('bot-reply', { probe: true }, { jobId: 'dashboard-probe' });
    const response = await get(app, '/admin/queues/api/queues', admin());
    expect(response.statusCode).toBe(200);
    const { queues } = response.json<{ queues: Array<{ name: string; counts: Record<string, number> }> }>();
    expect(queues.map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
    expect(queues.find((q) => q.name === 'replies')!.counts.waiting).toBe(1);
    expect(queues.find((q) => q.name === 'events')!.counts.waiting).toBe(0);
  });

  it('leaves the webhook to its own credentials', async () => {
    expect((await app.post(fixture('user-text'), { authorization: admin() })).statusCode).toBe(401);
    expect((await app.post(fixture('user-text'))).json()).toMatchObject({ status: 'accepted' });
  });
});

describe('queue dashboard on a worker', () => {
  it('is served there too (every role serves HTTP)', async () => {
    const app = await TestApp.start('admin-worker', { APP_ROLE: 'worker', ...ADMIN });
    try {
      expect((await get(app, '/admin/queues/api/queues')).statusCode).toBe(401);
      const response = await get(app, '/admin/queues/api/queues', admin());
      expect(response.statusCode).toBe(200);
      expect((response.json().queues as Array<{ name: string }>).map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
    } finally {
      await app.close();
    }
  });
});

/** The board in a real headless browser, against the real app (APP_ROLE=all) on a real port. */
describe('queue dashboard in a browser', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start('admin-page', { APP_ROLE: 'all', COMETCHAT_API_URL: cometchat.url, ...ADMIN });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await cometchat?.stop();
  });

  it('logs in and shows a reply CometChat refused for good, with the reason', async () => {
    // CometChat refuses the echo's send with a 4xx: the reply fails at once and is kept failed.
    cometchat.answerNext({ status: 404, body: { error: { code: 'ERR_UID_NOT_FOUND', message: 'no such user' } } });
    const callback = fixture('user-text');
    expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
    const jobId = `reply-${callback.data.id}-0`;
    await waitFor(
      'the reply to fail',
      async () =>
        (await app
          .queue('replies')
          .getJob(jobId)
          .then((j) => j?.getState())) === 'failed',
    );

    const context = await browser.newContext({
      httpCredentials: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${await app.app.getUrl()}/admin/queues/queue/replies?status=failed`);
      expect(response?.status()).toBe(200);
      await page.getByText(jobId).first().waitFor();
      await page
        .getByText(/ERR_UID_NOT_FOUND/)
        .first()
        .waitFor();
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it("shows the replies queue rate limited during a 429's pause only, not after every send", async () => {
    const replies = async () => {
      const { queues } = (await get(app, '/admin/queues/api/queues', admin())).json<{
        queues: Array<{ name: string; activeRateLimitTtl: number }>;
      }>();
      return queues.find((q) => q.name === 'replies')!;
    };
    // The send above opened the limiter's one-minute window: BullMQ, asked without the limiter's max, calls that
    // rate limited.
    expect(await app.queue('replies').getRateLimitTtl()).toBeGreaterThan(0);
    expect((await replies()).activeRateLimitTtl).toBe(0);

    await app.queue('replies').rateLimit(30_000); // as the replies processor does for a 429's Retry-After
    try {
      expect((await replies()).activeRateLimitTtl).toBeGreaterThan(20_000);
    } finally {
      await app.queue('replies').removeRateLimitKey();
    }
  });
});
