import { Module } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { BotEvent, Responder, textReply } from '../src/responders';
import { launchChromium } from './support/browser';
import { NO_SINGLE_BOT, writeBotsFile } from './support/several-bots';
import { TestApp } from './support/test-app';

/** Where the screenshot for a human look goes (not part of the repository). */
const SCREENSHOT = '/tmp/sandbox-page-several-bots.png';
const SALES_TOKEN = 'sales-agent-token-0123456789';

/** sales-bot's only responder, so its answers cannot be taken for support-bot's echo. */
@Responder({ name: 'sales-desk', priority: 10 })
class SalesDeskResponder {
  respond({ event }: { event: BotEvent }) {
    return textReply(`sales-desk (${event.bot}): ${event.text}`);
  }
}

@Module({ providers: [SalesDeskResponder] })
class SalesDeskModule {}

const BOTS = `
apps:
  main: { appId: "e2e-main", region: us }
bots:
  - uid: support-bot
    app: main
    webhook: { username: cometchat, password: "support-webhook-password" }
    responders: [echo]
  - uid: sales-bot
    app: main
    webhook: { username: cometchat, password: "sales-webhook-password" }
    responders: [sales-desk]
    agentToken: "${SALES_TOKEN}"
`;

/** The chat page of a deployment of several bots, in a real headless browser: a bot picker, each bot's own view. */
describe('sandbox chat page with several bots, in a browser', () => {
  let app: TestApp;
  let file: ReturnType<typeof writeBotsFile>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    file = writeBotsFile(BOTS);
    app = await TestApp.start('sandbox-page-several-bots', { ...NO_SINGLE_BOT, BOTS_FILE: file.path, APP_ROLE: 'all' }, [SalesDeskModule]);
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${await app.app.getUrl()}/sandbox`);
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.fill('#me-uid', 'alice');
    await page.press('#me-uid', 'Tab');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    file?.remove();
  });

  const botReplies = () => page.locator('#messages .message.bot');
  async function sendText(text: string) {
    await page.fill('#text', text);
    await page.click('#send');
    await page.locator('#messages .message.sent', { hasText: text }).locator('.status.accepted').waitFor();
  }

  it('offers each bot in a picker, the first chosen', async () => {
    await page.locator('#bot-picker-field').waitFor();
    expect(await page.locator('#bot-picker option').allTextContents()).toEqual(['support-bot', 'sales-bot']);
    expect(await page.locator('#bot-picker').inputValue()).toBe('support-bot');
    expect(await page.locator('#webhook-path').textContent()).toBe('/webhooks/cometchat/support-bot');
  });

  it("talks to the bot picked, and shows each bot's replies, as that bot, in its own view only", async () => {
    await page.selectOption('#bot-picker', 'sales-bot');
    expect(await page.locator('#chat-title').textContent()).toBe('One-to-one with sales-bot');
    await sendText('a quote please');
    const salesReply = botReplies().filter({ hasText: 'sales-desk (sales-bot): a quote please' });
    await salesReply.waitFor();
    expect(await salesReply.locator('.author').textContent()).toBe('sales-bot');

    await page.selectOption('#bot-picker', 'support-bot');
    expect(await botReplies().count()).toBe(0);
    expect(await page.locator('#messages .message.sent').count()).toBe(0);
    await sendText('hello support');
    const supportReply = botReplies().filter({ hasText: 'hello support' });
    await supportReply.waitFor();
    expect(await supportReply.locator('.author').textContent()).toBe('support-bot');
    expect(await botReplies().count()).toBe(1);

    await page.selectOption('#bot-picker', 'sales-bot');
    await salesReply.waitFor();
    expect(await botReplies().allTextContents()).toEqual([expect.stringContaining('sales-desk (sales-bot): a quote please')]);
  });

  it("counts another bot's new messages on its name in the picker", async () => {
    // From another tab (here, the page's own API), to sales-bot while support-bot is picked.
    await page.selectOption('#bot-picker', 'support-bot');
    const sent = await app.app.inject({
      method: 'POST',
      url: '/sandbox/messages',
      payload: { bot: 'sales-bot', sender: { uid: 'alice' }, conversation: { type: 'user' }, text: 'from elsewhere' },
    });
    expect(sent.json().webhook.body.status).toBe('accepted');
    await page.locator('#bot-picker option[value="sales-bot"]', { hasText: 'new' }).waitFor({ state: 'attached' });
    expect(await botReplies().filter({ hasText: 'from elsewhere' }).count()).toBe(0);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("asks the picked bot's own AG-UI endpoint in the agent tab; a bot without one cannot be asked", async () => {
    await page.click('#tab-agent');
    expect(await page.locator('#agent-endpoint').textContent()).toContain('no AG-UI endpoint');
    expect(await page.locator('#agent-send').isDisabled()).toBe(true);

    await page.selectOption('#bot-picker', 'sales-bot');
    expect(await page.locator('#agent-endpoint').textContent()).toBe('POST /agents/ag-ui/sales-bot');
    await page.fill('#agent-token', SALES_TOKEN);
    await page.fill('#agent-text', 'agent hello');
    await page.click('#agent-send');
    const answer = page.locator('#agent-messages .message.bot', { hasText: 'sales-desk (sales-bot): agent hello' });
    await answer.waitFor();
    expect(await answer.locator('.author').textContent()).toBe('sales-bot');
    await page.locator('#agent-status[data-state="finished"]').waitFor();
  });
});
