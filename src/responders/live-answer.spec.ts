import type { BotResponder, ResponderStreamPart } from './bot-responder.interface';
import { visiblePart } from './live-answer';
import { Responder } from './responder.decorator';
import { buildEvent, LIVE_DEFAULTS, runTurn } from './testing';

// Unref'd: a writer left waiting by an aborted turn keeps no test running.
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Writes its sentences one every `everyMs`, as a model streams. */
@Responder({ name: 'writer' })
class Writer implements BotResponder {
  constructor(
    private readonly sentences: string[],
    private readonly everyMs: number,
  ) {}

  async *respond(): AsyncGenerator<ResponderStreamPart> {
    for (const [n, sentence] of this.sentences.entries()) {
      if (n > 0) await pause(this.everyMs);
      yield n === 0 ? sentence : ` ${sentence}`;
    }
  }
}

describe('visiblePart: what of an answer being written is worth showing', () => {
  it('cuts at the last sentence or line end', () => {
    expect(visiblePart('One. Two! Three? Fou')).toBe('One. Two! Three?');
    expect(visiblePart('A list:\n- first\n- sec')).toBe('A list:\n- first');
    expect(visiblePart('He said "stop." Then we')).toBe('He said "stop."');
  });

  it('falls back to the last whole word, never cutting one', () => {
    expect(visiblePart('no sentence has ended yet')).toBe('no sentence has ended');
    expect(visiblePart('word')).toBe('');
    expect(visiblePart('')).toBe('');
  });

  it('does not take a decimal point or a sentence end not followed by a space for an end', () => {
    expect(visiblePart('It costs 3.50 euros and')).toBe('It costs 3.50 euros');
  });
});

describe('a streamed answer on the bot path (the test kit runs it as the service does)', () => {
  const settings = { progressAfterMs: 150, editIntervalMs: 200, progressText: '…' };

  it('posts a slow answer as it stands, edits it at most once per interval at sentence ends, and ends with the whole answer', async () => {
    const sentences = Array.from({ length: 10 }, (_, n) => `Sentence ${n + 1}.`);
    const result = await runTurn(new Writer(sentences, 60), buildEvent({ text: 'hi' }), { live: settings });
    const whole = sentences.join(' ');
    expect(result.texts).toEqual([whole]);
    const { post, edits } = result.live!;
    expect(post!.atMs).toBeGreaterThanOrEqual(140);
    expect(whole.startsWith(post!.text)).toBe(true);
    expect(edits.at(-1)!.text).toBe(whole);
    const shown = [post!, ...edits];
    for (let n = 1; n < shown.length; n++) {
      expect(shown[n].text.length).toBeGreaterThan(shown[n - 1].text.length);
      expect(shown[n].text).toMatch(/\.$/);
    }
    // Every edit but the last (the turn's end) waited out the interval.
    for (let n = 1; n < shown.length - 1; n++) expect(shown[n].atMs - shown[n - 1].atMs).toBeGreaterThanOrEqual(190);
  });

  it('posts the progress text when nothing can be shown yet', async () => {
    const result = await runTurn(new Writer(['Thinking', 'hard', 'about it.'], 200), buildEvent({ text: 'hi' }), { live: settings });
    expect(result.live!.post!.text).toBe('…');
    expect(result.live!.edits.at(-1)!.text).toBe('Thinking hard about it.');
  });

  it('posts an answer finished in time once, whole: no post, no edit', async () => {
    const result = await runTurn(new Writer(['Quick.', 'Done.'], 10), buildEvent({ text: 'hi' }), { live: LIVE_DEFAULTS });
    expect(result.live).toEqual({ edits: [] });
    expect(result.texts).toEqual(['Quick. Done.']);
  });

  it('with PROGRESS_AFTER_MS 0, never shows an answer before it is whole', async () => {
    const result = await runTurn(new Writer(['Slow.', 'Answer.'], 300), buildEvent({ text: 'hi' }), { live: { ...settings, progressAfterMs: 0 } });
    expect(result.live).toEqual({ edits: [] });
  });

  it('an abort (a /stop) ends the turn at once, even while the answer waits for its next part', async () => {
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(new Error('stopped')), 400);
    await expect(
      runTurn(new Writer(['One.', 'Two.', 'Three.'], 5_000), buildEvent({ text: 'hi' }), { live: settings, signal: stop.signal }),
    ).rejects.toThrow('stopped');
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
