import type { BotEvent } from '../../queue/job-contracts';
import { mentionStripper, toBotEvent } from '../../webhook/bot-event.factory';
import { EchoResponder } from './echo.responder';

const BOT = 'support-bot';
const eventFrom = (name: string, edit: (callback: any) => void = () => {}): BotEvent => {
  const callback = JSON.parse(JSON.stringify(require(`../../../test/fixtures/${name}.json`)));
  edit(callback);
  return toBotEvent(callback, BOT, mentionStripper(BOT));
};

describe('EchoResponder', () => {
  const echo = new EchoResponder();

  it('answers a text message with its own text', async () => {
    const event = eventFrom('user-text');
    expect(echo.match(event)).toBe(true);
    expect(await echo.respond({ event })).toEqual({
      category: 'message',
      type: 'text',
      data: { text: 'Where is my order #5521?' },
    });
  });

  it('echoes a mention without the bot token', async () => {
    const event = eventFrom('group-mention');
    expect(echo.match(event)).toBe(true);
    expect(await echo.respond({ event })).toMatchObject({ data: { text: "summarise today's incidents" } });
  });

  it.each([
    ['an image', eventFrom('user-image')],
    ['an image with a caption', eventFrom('user-image', (c) => (c.data.data.text = 'my receipt'))],
    ['a custom message', eventFrom('user-custom-location')],
    ['a text that is only a mention of the bot', eventFrom('group-mention', (c) => (c.data.data.text = ' <@uid:support-bot> '))],
  ])('does not take %s', (_, event) => {
    expect(echo.match(event)).toBe(false);
  });
});
