import type { BotEvent } from '../messages';
import type { Handoff } from './handoff.store';
import { botLine, cleanText, transcriptText, userLine } from './transcript';

const event = (id: string, text: string | undefined, extra: Partial<BotEvent> = {}): BotEvent => ({
  id,
  kind: 'message',
  bot: 'support-bot',
  sender: { uid: 'ana', name: 'Ana' },
  conversation: { type: 'user', id: 'ana' },
  category: 'message',
  type: text === undefined ? 'image' : 'text',
  text,
  mentionsBot: false,
  attachments: [],
  receivedAt: 1,
  raw: {},
  ...extra,
});

const handoff: Handoff = { conversation: 'user-ana', since: 1, until: 2, by: { uid: 'ana', name: 'Ana' }, eventId: '9' };

describe('the transcript', () => {
  it('never carries a link, whatever its shape', () => {
    const text = cleanText(
      'see https://evil.example/x?y=1 or www.evil.example, evil.example/pay, evil.example, ftp://a.b/c, mail me@evil.example now',
    );
    expect(text).toBe('see [link] or [link] [link] [link], [link] mail [link] now');
    expect(text).not.toMatch(/evil|https?:|www\.|ftp:/);
    // What only looks like one stays.
    expect(cleanText('e.g. version 1.2 at 10.30')).toBe('e.g. version 1.2 at 10.30');
  });

  it('keeps a line on one line and short', () => {
    expect(cleanText('a\n\nb   c')).toBe('a b c');
    expect(cleanText('x'.repeat(500))).toHaveLength(200);
  });

  it('names who asked and where, lists the lines before the ask, and ends with a one-line summary without links', () => {
    const lines = [
      userLine(event('1', 'my order https://shop.example/o/5521 is late')),
      botLine('reply-1-0', 'support-bot', 'Sorry to hear that: see www.help.example'),
      userLine(event('2', undefined)),
      userLine(event('9', '/human')),
    ];
    const text = transcriptText(event('9', '/human'), handoff, lines);
    const out = text.split('\n');
    expect(out[0]).toMatch(/^Handoff: Ana \(ana\) asked for a person in a one-to-one chat with ana \(conversation user-ana\)/);
    expect(out.slice(1, -1)).toEqual([
      'Last messages:',
      'Ana: my order [link] is late',
      'support-bot: Sorry to hear that: see [link]',
      'Ana: [image]',
    ]);
    expect(out[out.length - 1]).toBe('Summary: Ana asked for a person after 2 messages; the last: "[image]"');
    expect(text).not.toMatch(/https?:|www\./);
  });

  it("ends with the model's summary when the LLM handed off, links taken out", () => {
    const text = transcriptText(
      event('9', 'I want a refund', { conversation: { type: 'group', id: 'vip' } }),
      handoff,
      [],
      'Wants a refund, see http://x.example',
    );
    expect(text).toContain('in the group vip');
    expect(text).toContain('No earlier messages.');
    expect(text.split('\n').pop()).toBe('Summary: Wants a refund, see [link]');
  });
});
