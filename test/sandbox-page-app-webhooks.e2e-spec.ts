import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { Scrape } from './support/prometheus-text';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Where the screenshot for a human look goes (not part of the repository). */
const SCREENSHOT = '/tmp/sandbox-page-app-webhooks.png';
const FEEDBACK = 'cometchat_bot_feedback_total';

/**
 * The chat page's edit, delete and reaction controls in a real headless browser, against the real app (sandbox mode):
 * each goes to the events route as CometChat's app webhook would, and the page shows what the service made of it.
 */
describe('sandbox chat page in a browser: edits, deletes and reactions', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    app = await TestApp.start('sandbox-page-app-webhooks', { COMETCHAT_API_KEY: '', APP_ROLE: 'all' });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    url = await app.app.getUrl();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await open(page);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** The page, live, as the user nora. */
  const open = async (on: Page) => {
    await on.goto(`${url}/sandbox`);
    await on.locator('#connection[data-state="live"]').waitFor();
    await on.fill('#me-uid', 'nora');
    await on.press('#me-uid', 'Tab');
  };
  const sent = (on: Page, text: string) => on.locator('.message.sent.mine', { hasText: text });
  const reply = (on: Page, text: string) => on.locator('.message.bot', { has: on.locator('.bubble', { hasText: text }) });
  const ask = async (text: string) => {
    await page.fill('#text', text);
    await page.click('#send');
    await sent(page, text).locator('.status.accepted').waitFor();
    await reply(page, text).waitFor();
  };
  const feedback = async () => {
    const scrape = new Scrape(await (await fetch(`${url}/metrics`)).text());
    return scrape.samples.filter((sample) => sample.name === FEEDBACK).reduce((sum, sample) => sum + sample.value, 0);
  };

  it('edits a sent message in place: the new text, "edited", the edit accepted, and the bot answers the new text', async () => {
    await ask('what time is it');
    await sent(page, 'what time is it').locator('button.edit').click();
    const input = page.locator('.message.sent.mine .edit-text');
    expect(await input.inputValue()).toBe('what time is it');
    await input.fill('what day is it');
    await input.press('Enter');

    const edited = sent(page, 'what day is it');
    await edited.locator('.meta .edited').waitFor();
    await edited.locator('.status.change.accepted', { hasText: 'edit' }).waitFor();
    expect(await page.locator('.message.sent.mine .bubble', { hasText: 'what time is it' }).count()).toBe(0);
    // Answered again: a new reply with the new text; the first answer stays.
    await reply(page, 'what day is it').waitFor();
    expect(await reply(page, 'what time is it').count()).toBe(1);
  });

  it('deletes a sent message: shown deleted, the delete accepted, and the bot answer to it shown deleted', async () => {
    await ask('forget me');
    const answerId = await reply(page, 'forget me').getAttribute('data-id');
    const message = page.locator('.message.sent.mine', { has: page.locator('button.delete') }).filter({ hasText: 'forget me' });
    const id = await message.getAttribute('data-id');
    await message.locator('button.delete').click();

    const deleted = page.locator(`.message.sent.deleted[data-id="${id}"]`);
    await deleted.locator('.status.change.accepted', { hasText: 'delete' }).waitFor();
    expect(await deleted.locator('.bubble').textContent()).toBe('This message was deleted');
    expect(await deleted.locator('button.edit, button.delete').count()).toBe(0);
    // The service deletes its answer (ReplySender.deleteBotMessage); the feed's delete shows it so.
    const answer = page.locator(`.message.bot.deleted[data-id="${answerId}"]`);
    await answer.waitFor();
    expect(await answer.locator('.bubble').textContent()).toBe('This message was deleted');
  });

  it('counts a 👍 on a reply as feedback, shows it under the reply in every page, and takes it back on a second click', async () => {
    await ask('rate this answer');
    const before = await feedback();
    const answer = reply(page, 'rate this answer');
    const thumbsUp = answer.locator('.reactions button.react[data-reaction="👍"]');
    await thumbsUp.click();

    await answer.locator('.reactions button.react.mine[aria-pressed="true"]', { hasText: '👍 1' }).waitFor();
    await answer.locator('.reactions .status.change.accepted', { hasText: 'reaction added' }).waitFor();
    await waitFor('the feedback counted', async () => (await feedback()) === before + 1);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Another page, opened now, shows all of it from the feed: the edit, the deletes, the reaction.
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await open(other);
      await reply(other, 'rate this answer').locator('.reactions button.react.mine', { hasText: '👍 1' }).waitFor();
      await sent(other, 'what day is it').locator('.meta .edited').waitFor();
      expect(await other.locator('.message.sent.deleted').count()).toBe(1);
      expect(await other.locator('.message.bot.deleted').count()).toBe(1);

      // Taken back here: both pages show it gone, and the feedback is taken back.
      await thumbsUp.click();
      await answer.locator('.reactions .status.change.accepted', { hasText: 'reaction removed' }).waitFor();
      for (const on of [page, other]) {
        await reply(on, 'rate this answer')
          .locator('.reactions button.react[aria-pressed="false"][data-reaction="👍"]', { hasText: /^👍$/ })
          .waitFor();
      }
      await waitFor('the feedback taken back', async () => (await feedback()) === before);
    } finally {
      await other.close();
    }
  });

  it('shows a conversation handed to people as such (/human), and the bot back (/bot)', async () => {
    await page.reload();
    await page.locator('#connection[data-state="live"]').waitFor();
    await sent(page, 'what day is it').locator('.meta .edited').waitFor();
    expect(await page.locator('#handoff').isHidden()).toBe(true);
    const say = async (text: string) => {
      await page.fill('#text', text);
      await page.click('#send');
      await sent(page, text).locator('.status.accepted').waitFor();
    };
    await say('/human');
    await page.locator('#handoff').waitFor({ state: 'visible' });
    // While people have it, a message is taken (accepted) and the bot says nothing.
    await say('is anyone there');
    await say('/bot');
    await page.locator('#handoff').waitFor({ state: 'hidden' });
    expect(await reply(page, 'is anyone there').count()).toBe(0);
  });
});
