import { Module } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { Responder, type ResponderStreamPart } from '../src/responders';
import { launchChromium } from './support/browser';
import { TestApp } from './support/test-app';

/** Where the screenshot for a human look goes (not part of the repository). */
const SCREENSHOT = '/tmp/sandbox-page.png';
const AGENT_SCREENSHOT = '/tmp/sandbox-agent-tab.png';
const AGENT_TOKEN = 'sandbox-page-agent-token-42';

/** The test opens it: until then the streaming responder below has said only its first part. */
let releaseSecondPart: () => void = () => undefined;

/** Streams its answer in two parts with a gap the test controls, as a model's tokens arrive. */
@Responder({ name: 'two-part-stream', priority: 10, pattern: /^tell me slowly/ })
class TwoPartStreamResponder {
  async *respond(): AsyncIterable<ResponderStreamPart> {
    const gap = new Promise<void>((resolve) => (releaseSecondPart = resolve));
    yield 'First part, ';
    yield 'still streaming. ';
    await gap;
    yield 'Second part: done.';
  }
}

@Module({ providers: [TwoPartStreamResponder] })
class StreamingResponderModule {}

/** The chat page in a real headless browser, against the real app (APP_ROLE=all, sandbox mode) on a real port. */
describe('sandbox chat page in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await TestApp.start('sandbox-page', { COMETCHAT_API_KEY: '', APP_ROLE: 'all', AGENT_TOKEN }, [StreamingResponderModule]);
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${await app.app.getUrl()}/sandbox`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('sends a typed message through the webhook and shows the answer and the echo reply', async () => {
    await page.locator('#connection[data-state="live"]').waitFor();
    // One bot: no bot to choose, the page as it always was.
    expect(await page.locator('#bot-picker-field').isHidden()).toBe(true);
    expect(await page.locator('#webhook-path').textContent()).toBe('/webhooks/cometchat');
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

  it('streams an AI Agent (AG-UI) answer into the agent tab as it arrives', async () => {
    await page.click('#tab-agent');
    await page.locator('#agent-view').waitFor();
    expect(await page.locator('#bot-view').isHidden()).toBe(true);

    // A wrong token is refused by the endpoint, and the page says so.
    await page.fill('#agent-token', 'not-the-right-token-at-all');
    await page.fill('#agent-text', 'hello agent');
    await page.press('#agent-text', 'Enter');
    await page.locator('#agent-status[data-state="error"]', { hasText: 'HTTP 401' }).waitFor();

    await page.fill('#agent-token', AGENT_TOKEN);
    await page.click('#agent-new-thread');
    await page.fill('#agent-text', 'tell me slowly');
    await page.click('#agent-send');

    // The first deltas are on the page while the responder still holds the rest back.
    const bubble = page.locator('#agent-messages .message.bot .bubble', { hasText: 'First part, still streaming.' });
    await bubble.waitFor();
    expect(await bubble.getAttribute('class')).toContain('streaming');
    expect(await bubble.textContent()).not.toContain('Second part');
    expect(await page.locator('#agent-status').getAttribute('data-state')).toBe('streaming');

    releaseSecondPart();
    await page
      .locator('#agent-messages .message.bot .bubble:not(.streaming)', { hasText: 'First part, still streaming. Second part: done.' })
      .waitFor();
    await page.locator('#agent-status[data-state="finished"]').waitFor();
    expect(await page.locator('#agent-messages .message.bot').count()).toBe(1);

    // A responder that does not stream (the echo) answers in the same tab.
    await page.fill('#agent-text', 'echo this');
    await page.press('#agent-text', 'Enter');
    await page.locator('#agent-messages .message.bot .bubble', { hasText: 'echo this' }).waitFor();
    await page.screenshot({ path: AGENT_SCREENSHOT, fullPage: true });

    // The token came from the person, never from the service.
    const session = await page.evaluate(() => fetch('/sandbox/session').then((r) => r.text()));
    expect(JSON.parse(session)).toMatchObject({ agentEndpoint: true });
    const served = await page.evaluate(() =>
      Promise.all(['/sandbox', '/sandbox/sandbox.js', '/sandbox/session'].map((u) => fetch(u).then((r) => r.text()))),
    );
    for (const body of served) expect(body).not.toContain(AGENT_TOKEN);
  });
});
