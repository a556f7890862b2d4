import type { CometChatCallback } from './cometchat-callback';
import { mentionStripper, toBotEvent } from './bot-event.factory';

const BOT = 'support-bot';
const load = (name: string): CometChatCallback => JSON.parse(JSON.stringify(require(`../../test/fixtures/${name}.json`)));
const eventOf = (callback: CometChatCallback) => toBotEvent(callback, BOT, mentionStripper(BOT), 1717000200000);

describe('toBotEvent', () => {
  it('addresses a one-to-one message back to its sender', () => {
    const event = eventOf(load('user-text'));
    expect(event.conversation).toEqual({ type: 'user', id: 'cometchat-uid-1' });
    expect(event.sender).toEqual({ uid: 'cometchat-uid-1', name: 'Andrew Joseph' });
    expect(event).toMatchObject({ id: '1045', bot: BOT, category: 'message', type: 'text', receivedAt: 1717000200000 });
  });

  it('addresses a group message to the group', () => {
    expect(eventOf(load('group-mention')).conversation).toEqual({ type: 'group', id: 'ops-room' });
  });

  it("removes the bot's mention token and trims the text", () => {
    expect(eventOf(load('group-mention')).text).toBe("summarise today's incidents");
  });

  it('removes the mention token whatever its case', () => {
    const callback = load('group-mention');
    callback.data.data!.text = '  <@uid:SUPPORT-BOT>   hello  ';
    expect(eventOf(callback).text).toBe('hello');
  });

  it("keeps other users' mention tokens", () => {
    const callback = load('group-mention');
    callback.data.data!.text = '<@uid:support-bot> ping <@uid:cometchat-uid-3> please';
    expect(eventOf(callback).text).toBe('ping <@uid:cometchat-uid-3> please');
  });

  it('tells whether the bot was mentioned', () => {
    expect(eventOf(load('group-mention')).mentionsBot).toBe(true);
    expect(eventOf(load('user-text')).mentionsBot).toBe(false);
  });

  it('carries the thread parent id of a reply', () => {
    expect(eventOf(load('group-thread-reply')).parentId).toBe('2310');
    expect(eventOf(load('group-mention')).parentId).toBeUndefined();
  });

  it('carries attachments of a media message', () => {
    const event = eventOf(load('user-image'));
    expect(event.attachments).toEqual([
      {
        url: 'https://files.example.com/media/receipt.png',
        name: 'receipt.png',
        mimeType: 'image/png',
        extension: 'png',
        size: 48213,
      },
    ]);
    expect(event.text).toBeUndefined();
  });

  it('carries customData of a custom message', () => {
    const event = eventOf(load('user-custom-location'));
    expect(event).toMatchObject({ category: 'custom', type: 'location', customData: { latitude: 52.52, longitude: 13.405 } });
  });

  it('carries the message metadata', () => {
    expect(eventOf(load('user-text')).metadata).toEqual({ orderRef: '5521' });
  });

  it('keeps the original callback as raw', () => {
    const callback = load('user-text');
    const event = eventOf(callback);
    expect(event.raw).toEqual(load('user-text'));
    expect(event.raw).toBe(callback);
  });
});

describe('mentionStripper', () => {
  it('leaves the rest of the text as written, line breaks and inner spacing included', () => {
    const strip = mentionStripper('support-bot');
    expect(strip('  line 1\nline  2  ')).toBe('line 1\nline  2');
    expect(strip('Hi <@uid:support-bot>, status?')).toBe('Hi , status?');
    expect(strip('<@uid:support-bot>\n/help')).toBe('/help');
  });

  it('treats regex characters in the uid literally', () => {
    const strip = mentionStripper('bot.v1+x');
    expect(strip('<@uid:bot.v1+x> hi')).toBe('hi');
    // Unescaped, "." would match any character and "+" would repeat it.
    expect(strip('<@uid:botXv11x> hi')).toBe('<@uid:botXv11x> hi');
  });
});
