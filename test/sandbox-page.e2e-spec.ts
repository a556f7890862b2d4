import { existsSync } from 'node:fs';
import { Browser, chromium, Page } from 'playwright-core';
import { TestApp } from './support/test-app';

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it. No browser is ever downloaded. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the screenshot for a human look goes (not part of the repository). */
const SCREENSHOT = '/tmp/sandbox-page.png';

/** The chat page in a real headless browser, against the real app (APP_ROLE=all, sandbox mode) on a real port. */
describe('sandbox chat page in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
    }
    app = await TestApp.start('sandbox-page', { COMETCHAT_API_KEY: '', APP_ROLE: 'all' });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${await app.app.getUrl()}/sandbox`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('sends a typed message through the webhook and shows the answer and the echo reply', async () => {
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.fill('#me-uid', 'alice');
    await page.press('#me-uid', 'Tab');
    await page.fill('#me-name', 'Alice');
    await page.press('#me-name', 'Tab');

    await page.fill('#text', 'hello from the browser');
    await page.click('#send');

    const sent = page.locator('.message.sent', { hasText: 'hello from the browser' });
    await sent.locator('.status.accepted').waitFor();
    const reply = page.locator('.message.bot .bubble', { hasText: 'hello from the browser' });
    await reply.waitFor();
    expect(await page.locator('.message.bot').count()).toBe(1);
  });

  it('mentions the bot in a group with the button, and keeps each conversation to its own view', async () => {
    await page.fill('#group-id', 'ops-room');
    await page.click('#open-group button');
    await page.locator('#chat-title', { hasText: 'ops-room' }).waitFor();
    await page.click('#mention-bot');
    await page.type('#text', 'status please');
    await page.keyboard.press('Enter');

    await page.locator('.message.sent .mention', { hasText: '@bot' }).waitFor();
    await page.locator('.message.sent .status.accepted').waitFor();
    await page.locator('.message.bot .bubble', { hasText: 'status please' }).waitFor();
    // The one-to-one reply from the first test is not shown in the group.
    expect(await page.locator('.message.bot', { hasText: 'hello from the browser' }).count()).toBe(0);
    expect(await page.locator('.message.bot').count()).toBe(1);

    // An unmentioned group message is answered "ignored" by the webhook (GROUP_CHAT_SETTING=mentionedMessages).
    await page.fill('#text', 'nobody asked you');
    await page.click('#send');
    await page.locator('.message.sent', { hasText: 'nobody asked you' }).locator('.status.ignored', { hasText: 'group-setting' }).waitFor();

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(await page.locator('.mode').textContent()).toContain('Sandbox mode');
    expect(await page.locator('#conversations li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('You and the bot'), expect.stringContaining('ops-room')]),
    );
  });
});
