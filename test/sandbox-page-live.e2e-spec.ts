import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { FakeModelServer, lastUserText } from './support/fake-openai';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Where the screenshot for a human look goes (not part of the repository). */
const SCREENSHOT = '/tmp/sandbox-page-live.png';

/** Twelve sentences, written one every half second: a 6-second answer, posted early and filled in by edits. */
const SENTENCES = Array.from({ length: 12 }, (_, n) => `Sentence number ${n + 1} of the answer.`);
const LONG_ANSWER = SENTENCES.join(' ');

/** Live turns on the chat page, in a real headless browser, against the real app (sandbox mode) and a slow fake model. */
describe('sandbox chat page in a browser: live turns', () => {
  let model: FakeModelServer;
  let app: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    model = await new FakeModelServer().start();
    // A question starting "slow" is answered in twelve sentences, half a second apart; any other at once.
    model.answer = (body) => {
      const question = lastUserText(body);
      if (question.startsWith('slow')) return { text: LONG_ANSWER, pieces: SENTENCES.map((s, n) => (n === 0 ? s : ` ${s}`)), pieceDelayMs: 500 };
      return { text: `quick answer to ${question}` };
    };
    app = await TestApp.start('sandbox-page-live', {
      COMETCHAT_API_KEY: '',
      APP_ROLE: 'all',
      LLM_MODEL: 'fake-model',
      LLM_BASE_URL: model.url,
      LLM_API_KEY: 'model-key',
      // Edits a second apart: the page learns it from /sandbox/session, and drops "writing…" 3 s after the last one.
      STREAM_EDIT_INTERVAL_MS: '1000',
    });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${await app.app.getUrl()}/sandbox`);
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.fill('#me-uid', 'lena');
    await page.press('#me-uid', 'Tab');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await model?.stop();
  });

  it('shows a slow answer growing in one bubble, marked while it is written, and whole after a reload', async () => {
    await page.fill('#text', 'slow: tell me everything');
    await page.click('#send');

    const reply = await page.locator('.message.bot').elementHandle();
    const look = () =>
      reply.evaluate((li) => ({
        text: li.querySelector('.bubble')!.textContent!,
        writing: li.classList.contains('writing'),
        attached: li.isConnected,
        bubbles: li.parentElement?.querySelectorAll('.message.bot').length,
      }));
    // The same element all along: its text is replaced in place, edit after edit.
    const seen: Awaited<ReturnType<typeof look>>[] = [];
    await waitFor(
      'the whole answer in the bubble',
      async () => {
        const now = await look();
        seen.push(now);
        return now.text === LONG_ANSWER;
      },
      { timeoutMs: 20_000 },
    );
    const texts = [...new Set(seen.map((s) => s.text))];
    expect(texts.length).toBeGreaterThanOrEqual(3); // the early post, at least one edit in between, the whole answer
    for (const [n, text] of texts.entries()) {
      expect(LONG_ANSWER.startsWith(text)).toBe(true);
      if (n > 0) expect(text.length).toBeGreaterThan(texts[n - 1].length);
    }
    expect(seen.every((s) => s.attached && s.bubbles === 1)).toBe(true);
    expect(seen.some((s) => s.writing)).toBe(true);
    expect(await reply.evaluate((li) => li.querySelector('.meta')!.textContent)).toContain('edited');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Once the edits stop, the mark goes; "edited" stays.
    await page.locator('.message.bot:not(.writing) .meta .edited').waitFor({ timeout: 10_000 });
    expect(await page.locator('.message.bot').count()).toBe(1);

    // A page loaded later shows the answer as it ended, from the outbox.
    await page.reload();
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.locator('.message.bot .bubble', { hasText: LONG_ANSWER }).waitFor();
    expect(await page.locator('.message.bot').count()).toBe(1);
    expect(await page.locator('.message.bot.writing').count()).toBe(0);
    expect(await page.locator('.message.bot .meta .edited').count()).toBe(1);
  }, 40_000);

  it('sends /stop as a message of the conversation with the stop button, leaving the draft alone', async () => {
    await page.fill('#text', 'a draft not sent yet');
    await page.click('#stop');

    // Through the same path as the send button: the webhook took it, and the page log holds it.
    const stop = page.locator('.message.sent.mine', { hasText: '/stop' });
    await stop.locator('.status.accepted').waitFor();
    expect(await stop.locator('.bubble').textContent()).toBe('/stop');
    expect(await page.inputValue('#text')).toBe('a draft not sent yet');
    const logged = await waitFor('/stop in the page log', async () =>
      (await app.redis().lrange(`${app.prefix}:sandbox:sent`, 0, -1)).map((json) => JSON.parse(json)).find((m) => m.text === '/stop'),
    );
    expect(logged).toMatchObject({ sender: { uid: 'lena' }, receiverType: 'user', webhook: { statusCode: 200, body: { status: 'accepted' } } });
  });
});
