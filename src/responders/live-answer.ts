import type { BotReply } from '../messages';

/** How a streamed answer is shown on the bot path while it is written (PROGRESS_AFTER_MS, PROGRESS_TEXT, STREAM_EDIT_INTERVAL_MS). */
export interface LiveSettings {
  /** An answer not finished by then is posted as it stands; 0: never (posted once, whole). */
  progressAfterMs: number;
  /** Posted when the answer has no text to show yet. */
  progressText: string;
  /** At most one edit in this time. */
  editIntervalMs: number;
}

/**
 * Where a live answer goes: the bot path queues the post and the edits (exactly once, in order, budgeted); the test
 * kit records them. The final text is not the sink's business here: it is the turn's reply, as for any answer.
 */
export interface LiveSink {
  /** The answer was not finished in time: post this reply (its text: the answer so far, or PROGRESS_TEXT). */
  post(reply: BotReply): Promise<void>;
  /** Show this text instead (a longer part of the answer), by editing the posted message. */
  edit(text: string): Promise<void>;
}

/** A sentence or a line ends here: after `.`, `!`, `?`, `…` (and closing quotes or brackets) followed by a space, or at a newline. */
const BOUNDARY = /(?:[.!?…。！？]["'”’)\]]*\s|\n)/g;

/**
 * The part of `text` worth showing now: up to its last sentence or line boundary, or else its last whole word; '' when
 * it has neither. Never cut inside a word.
 */
export function visiblePart(text: string): string {
  let end = -1;
  for (const found of text.matchAll(BOUNDARY)) end = found.index + found[0].length;
  if (end < 0) end = Math.max(text.lastIndexOf(' '), text.lastIndexOf('\t'));
  return end <= 0 ? '' : text.slice(0, end).trimEnd();
}

/**
 * Shows a streamed answer while it is written: once `progressAfterMs` passes and it is not finished, posts what it has
 * (or the progress text), then at most once per `editIntervalMs` edits the message to the longer part it has, at
 * sentence or line boundaries where it can. Reads `text()` (the answer so far) whenever it looks; `finished` settles
 * when the stream ends (or fails). Returns what it showed: whether it posted, and its last text.
 */
export async function showWhileWritten(
  settings: LiveSettings,
  sink: LiveSink,
  text: () => string,
  finished: Promise<unknown>,
  replyOf: (text: string) => BotReply,
  signal: AbortSignal,
): Promise<{ posted: boolean; shown: string; edits: number }> {
  const shown = { posted: false, shown: '', edits: 0 };
  if (settings.progressAfterMs <= 0) return shown;
  if (await endsWithin(settings.progressAfterMs, finished, signal)) return shown;
  shown.shown = visiblePart(text());
  // The progress text is no part of the answer: any text at all replaces it.
  await sink.post(replyOf(shown.shown || settings.progressText));
  shown.posted = true;
  for (;;) {
    if (await endsWithin(settings.editIntervalMs, finished, signal)) return shown;
    const next = visiblePart(text());
    if (next.length <= shown.shown.length) continue;
    await sink.edit(next);
    shown.shown = next;
    shown.edits++;
  }
}

/** True when `finished` settles (or the signal aborts) within `ms`; false when the time passes first. */
async function endsWithin(ms: number, finished: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return true;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      finished.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
        onAbort = () => resolve(true);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
