import type { BotEvent } from '../messages';
import type { Handoff, TranscriptLine } from './handoff.store';

/** A transcript shows at most this many lines, the newest. */
export const TRANSCRIPT_SHOWN = 10;
const LINE_MAX = 200;
const SUMMARY_MAX = 300;

/**
 * Links of any kind (`scheme://…`, `www.…`, `host.tld/path`, a bare `host.tld`, which chat apps turn into links) and
 * mail addresses: a transcript goes to people who trust the bot's messages, so nothing a user wrote reaches them as
 * something to click. A file name (`notes.txt`) goes too: better lost than a link.
 */
const LINKS = /\b[a-z][a-z0-9+.-]*:\/\/\S*|\bwww\.\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+(?:\.[\w-]+)+\/\S*|\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b/gi;

/** The text without links (each `[link]`), on one line, at most `max` characters. */
export function cleanText(text: string, max = LINE_MAX): string {
  const flat = text.replace(LINKS, '[link]').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Who sent it, as the transcript names them: their name, else their UID. */
const whoOf = (sender: { uid: string; name?: string }) => sender.name?.trim() || sender.uid;

/** A user's message as a transcript line: its text, or what it is (`[image]`). */
export function userLine(event: BotEvent): TranscriptLine {
  const text = event.text ?? `[${event.category === 'message' ? event.type : event.category}]`;
  return { id: event.id, from: 'user', who: whoOf(event.sender), text: cleanText(text) };
}

/** A reply of the bot's as a transcript line. */
export const botLine = (id: string, bot: string, text: string): TranscriptLine => ({ id, from: 'bot', who: bot, text: cleanText(text) });

/** `user-ana`: a one-to-one chat with ana; `group-team`: the group team. */
const where = (event: BotEvent) =>
  event.conversation.type === 'group' ? `the group ${event.conversation.id}` : `a one-to-one chat with ${event.conversation.id}`;

/**
 * What the team is posted when a conversation is handed to them: who asked, where (the conversation's key, the name
 * `cli handoff resume` takes), its last lines, and, last, one line that sums it up. Never a link.
 * `summary`: the model's own words when it handed off; else one made from the lines.
 */
export function transcriptText(event: BotEvent, handoff: Handoff, lines: TranscriptLine[], summary?: string): string {
  const asker = `${whoOf(handoff.by)}${handoff.by.name?.trim() ? ` (${handoff.by.uid})` : ''}`;
  // The message that asked is said in the first line; the talk before it is what the team needs.
  const earlier = lines.filter((line) => line.id !== handoff.eventId).slice(-TRANSCRIPT_SHOWN);
  const said = earlier.filter((line) => line.from === 'user' && !line.text.startsWith('/'));
  const made = said.length
    ? `${whoOf(handoff.by)} asked for a person after ${said.length} message${said.length === 1 ? '' : 's'}; the last: "${cleanText(said[said.length - 1].text, 120)}"`
    : `${whoOf(handoff.by)} asked for a person before saying anything else`;
  return [
    `Handoff: ${asker} asked for a person in ${where(event)} (conversation ${handoff.conversation}). The bot stays silent there until they send /bot, someone runs \`cli handoff resume ${handoff.conversation}\`, or the handoff times out.`,
    earlier.length ? 'Last messages:' : 'No earlier messages.',
    ...earlier.map((line) => `${line.who}: ${line.text}`),
    `Summary: ${cleanText(summary?.trim() || made, SUMMARY_MAX)}`,
  ].join('\n');
}
