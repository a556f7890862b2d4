import { textReply } from '../reply.builders';
import { Responder, responderOptionsOf } from '../responder.decorator';
import { buildEvent, runTurn } from '../testing';
import { EchoResponder } from './echo.responder';

const fixture = (name: string, edit: (callback: any) => void = () => {}) => {
  const callback = JSON.parse(JSON.stringify(require(`../../../test/fixtures/${name}.json`)));
  edit(callback);
  return buildEvent(callback);
};

describe('EchoResponder', () => {
  const echo = new EchoResponder({ echoEnabled: true });

  it('answers a text message with its own text', async () => {
    const turn = await runTurn(echo, fixture('user-text'));
    expect(turn.responder).toBe('echo');
    expect(turn.replies).toEqual([{ category: 'message', type: 'text', data: { text: 'Where is my order #5521?' } }]);
  });

  it('echoes a group mention without the bot token', async () => {
    expect((await runTurn(echo, fixture('group-mention'))).texts).toEqual(["summarise today's incidents"]);
  });

  it('removes a mention of the bot in the middle of the text', async () => {
    const { texts } = await runTurn(echo, buildEvent({ text: 'hello <@uid:support-bot> world' }));
    expect(texts).toEqual(['hello world']);
  });

  it('keeps mentions of other users', async () => {
    const { texts } = await runTurn(echo, buildEvent({ text: 'ask <@uid:cometchat-uid-3>', mention: true, group: 'ops-room' }));
    expect(texts).toEqual(['ask <@uid:cometchat-uid-3>']);
  });

  it.each([
    ['an image', () => fixture('user-image')],
    ['an image with a caption', () => fixture('user-image', (c) => (c.data.data.text = 'my receipt'))],
    ['a custom message', () => fixture('user-custom-location')],
    ['a custom message with text', () => buildEvent({ category: 'custom', type: 'note', text: 'hi', customData: { a: 1 } })],
    ['a text that is only a mention of the bot', () => fixture('group-mention', (c) => (c.data.data.text = ' <@uid:support-bot> '))],
    ['a text of spaces', () => buildEvent({ text: '   ' })],
  ])('does not take %s', async (_, build) => {
    expect(await runTurn(echo, build())).toMatchObject({ responder: undefined, replies: [] });
  });

  it('declares that it takes text only', () => {
    expect(responderOptionsOf(echo)).toMatchObject({ name: 'echo', kinds: ['text'] });
  });

  it('says nothing when echoEnabled is false', async () => {
    const off = new EchoResponder({ echoEnabled: false });
    expect(await runTurn(off, fixture('user-text'))).toMatchObject({ responder: undefined, replies: [] });
  });

  it('lets any other responder at default priority win', async () => {
    @Responder({ name: 'other', kinds: ['text'] })
    class Other {
      respond() {
        return textReply('other');
      }
    }
    expect((await runTurn([echo, new Other()], buildEvent({ text: 'hi' }))).texts).toEqual(['other']);
  });
});
