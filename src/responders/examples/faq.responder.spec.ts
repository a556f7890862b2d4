import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEvent, runTurn } from '../testing';
import { FaqCatalog } from './faq-catalog';
import { FaqResponder } from './faq.responder';

const entries = [
  { keywords: ['hours', 'Open'], answer: 'We are open 9 to 5.' },
  { keywords: ['refund'], answer: 'Refunds within 30 days.' },
];

describe('FaqCatalog', () => {
  let dir: string;
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faq-spec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a valid file and answers by keyword, whatever the case', () => {
    const catalog = FaqCatalog.fromFile(file('faq.json', JSON.stringify(entries)));
    expect(catalog.answer('When are you OPEN?')).toBe('We are open 9 to 5.');
    expect(catalog.answer('what are your Hours')).toBe('We are open 9 to 5.');
    expect(catalog.answer('REFUND please')).toBe('Refunds within 30 days.');
  });

  it('matches whole words only', () => {
    const catalog = new FaqCatalog(entries);
    expect(catalog.answer('my ticket was reopened')).toBeUndefined();
    expect(catalog.answer('refunds')).toBeUndefined();
    expect(catalog.answer('open.')).toBe('We are open 9 to 5.');
  });

  it('matches a keyword phrase or a keyword with punctuation as whole words', () => {
    const catalog = new FaqCatalog([{ keywords: ['opening hours', 'e-mail'], answer: 'A' }]);
    expect(catalog.answer('What are your opening   hours?')).toBe('A');
    expect(catalog.answer('my E-Mail address')).toBe('A');
    expect(catalog.answer('opening soon, hours later')).toBeUndefined();
  });

  it('answers nothing for text without a keyword', () => {
    expect(new FaqCatalog(entries).answer('hello there')).toBeUndefined();
  });

  it('answers with the first entry that matches', () => {
    expect(new FaqCatalog(entries).answer('refund hours')).toBe('We are open 9 to 5.');
  });

  it('names the file when it is not JSON', () => {
    const path = file('broken.json', '[{ "keywords": ["a"], ');
    expect(() => FaqCatalog.fromFile(path)).toThrow(path);
  });

  it('names the file when it does not exist', () => {
    const path = join(dir, 'missing.json');
    expect(() => FaqCatalog.fromFile(path)).toThrow(path);
  });

  it.each([
    ['an object, not a list', { keywords: ['a'], answer: 'b' }],
    ['keywords not a list', [{ keywords: 'open', answer: 'b' }]],
    ['no keywords', [{ keywords: [], answer: 'b' }]],
    ['a keyword not a string', [{ keywords: [1], answer: 'b' }]],
    ['no answer', [{ keywords: ['a'] }]],
    ['a null entry', [null]],
  ])('names the file and the expected shape when the content is wrong: %s', (_, content) => {
    const path = file('shape.json', JSON.stringify(content));
    expect(() => FaqCatalog.fromFile(path)).toThrow(path);
    expect(() => FaqCatalog.fromFile(path)).toThrow(/keywords/);
  });

  it('loads the bundled example, which passes the same checks as FAQ_FILE', () => {
    const bundled = new FaqCatalog(require('./faq.example.json'));
    expect(bundled.answer('What are your opening hours?')).toMatch(/Monday to Friday/);
    expect(FaqCatalog.fromFile(join(__dirname, 'faq.example.json')).answer('refund')).toMatch(/30 days/);
  });
});

describe('FaqResponder', () => {
  const faq = new FaqResponder(new FaqCatalog(entries));

  it('answers text containing a keyword', async () => {
    const turn = await runTurn(faq, buildEvent({ text: 'Are you open on Sunday?' }));
    expect(turn.responder).toBe('faq');
    expect(turn.texts).toEqual(['We are open 9 to 5.']);
  });

  it('answers a group message that mentions the bot (the mention is not a word of the question)', async () => {
    const { texts } = await runTurn(faq, buildEvent({ text: 'refund?', group: 'ops-room', mention: true }));
    expect(texts).toEqual(['Refunds within 30 days.']);
  });

  it.each([
    ['text without a keyword', buildEvent({ text: 'hello' })],
    ['a slash command, even with a keyword', buildEvent({ text: '/refund 5521' })],
    ['an image with a keyword caption', buildEvent({ text: 'refund', attachments: [{ url: 'https://x/r.png', name: 'r.png' }] })],
  ])('does not take %s', async (_, event) => {
    expect(await runTurn(faq, event)).toMatchObject({ responder: undefined, replies: [] });
  });
});
