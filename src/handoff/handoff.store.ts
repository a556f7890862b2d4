import { join } from 'node:path';
import { RedisClient, withLuaCommands } from '../redis';

/** A conversation handed to people, as Redis keeps it (the value of its key). */
export interface Handoff {
  /** The conversation's key (conversationKey: `user-ana`, `support-bot/user-ana`). */
  conversation: string;
  /** When it was handed off (ms since the epoch). */
  since: number;
  /** Who asked: the sender of `/human`, or of the message the LLM answered by handing off. */
  by: { uid: string; name?: string };
  /** The message that asked: a turn run again recognises its own handoff. */
  eventId: string;
  /** When the bot takes it back by itself (HANDOFF_TIMEOUT_MS after `since`). */
  until: number;
}

/** One line of a transcript: a message of the user's, or a reply of the bot's. */
export interface TranscriptLine {
  /** The message id, or the reply's: a turn run again keeps each line once. */
  id: string;
  from: 'user' | 'bot';
  /** The sender's name or UID. */
  who: string;
  text: string;
}

/** A resume (or a timeout) another process (the CLI) noted for the service's metrics. */
export interface NotedResume {
  conversation: string;
  by: 'cli' | 'timeout';
  since?: number;
  at: number;
}

/** What the conversation is at the start of a turn. */
export type Seen = { kind: 'handed-off'; handoff: Handoff } | { kind: 'timed-out' } | { kind: 'with-bot' };

/** A transcript keeps this many lines of a conversation, the newest. */
export const TRANSCRIPT_LINES = 12;
/** Lines older than this since the conversation's last are forgotten: a transcript shows the recent talk. */
export const TRANSCRIPT_TTL_MS = 24 * 3600 * 1000;

/** The scripts of commands/. */
interface HandoffCommands {
  handoffSeen(
    handoff: string,
    index: string,
    lines: string,
    conversation: string,
    cap: number,
    ttlMs: number,
    ...pairs: string[]
  ): Promise<[number, string?]>;
  handoffStart(
    handoff: string,
    index: string,
    lines: string,
    conversation: string,
    value: string,
    ttlMs: number,
    until: number,
  ): Promise<[number, string, string[]]>;
  handoffEnd(handoff: string, index: string, noted: string, conversation: string, note: '0' | '1', now: number): Promise<[string | null, number?]>;
  handoffLines(lines: string, cap: number, ttlMs: number, ...pairs: string[]): Promise<number>;
  handoffScrape(index: string, noted: string, now: number): Promise<[string[], string[], string[]]>;
}

const parseLines = (entries: string[]): TranscriptLine[] =>
  entries.flatMap((entry) => {
    try {
      return [JSON.parse(entry) as TranscriptLine];
    } catch {
      return [];
    }
  });
const pairsOf = (lines: TranscriptLine[]) => lines.flatMap((line) => [line.id, JSON.stringify(line)]);

/**
 * Handoffs in Redis, shared by every process (the CLI too): `<prefix>:handoff:<conversation>` holds a conversation's
 * handoff and expires with it (HANDOFF_TIMEOUT_MS); `<prefix>:handoffs` indexes them by when they expire, for `handoff
 * list` and the gauge, and tells a timeout apart from a conversation never handed off; `<prefix>:handoff-lines:
 * <conversation>` keeps its last lines for a transcript (only with HANDOFF_NOTIFY); `<prefix>:handoff-resumed` holds
 * the resumes the CLI made until the service's next scrape counts them. Plain class: the CLI builds one on its own
 * connection.
 */
export class HandoffStore {
  private readonly redis: RedisClient & HandoffCommands;

  constructor(
    client: RedisClient,
    private readonly prefix: string,
  ) {
    this.redis = withLuaCommands<HandoffCommands>(client, join(__dirname, 'commands'));
  }

  private keyOf = (conversation: string) => `${this.prefix}:handoff:${conversation}`;
  private linesOf = (conversation: string) => `${this.prefix}:handoff-lines:${conversation}`;
  private get index() {
    return `${this.prefix}:handoffs`;
  }
  private get noted() {
    return `${this.prefix}:handoff-resumed`;
  }

  /** The gate's look (one round trip), keeping `line` for a transcript when given. */
  async seen(conversation: string, line?: TranscriptLine): Promise<Seen> {
    const [kind, value] = await this.redis.handoffSeen(
      this.keyOf(conversation),
      this.index,
      this.linesOf(conversation),
      conversation,
      TRANSCRIPT_LINES,
      TRANSCRIPT_TTL_MS,
      ...(line ? pairsOf([line]) : []),
    );
    if (kind === 1) return { kind: 'handed-off', handoff: JSON.parse(value!) as Handoff };
    return kind === -1 ? { kind: 'timed-out' } : { kind: 'with-bot' };
  }

  /** Hands the conversation off unless it is already; `handoff` is the one in force either way, with the transcript's lines. */
  async start(handoff: Handoff): Promise<{ started: boolean; handoff: Handoff; lines: TranscriptLine[] }> {
    const { conversation } = handoff;
    const [started, value, lines] = await this.redis.handoffStart(
      this.keyOf(conversation),
      this.index,
      this.linesOf(conversation),
      conversation,
      JSON.stringify(handoff),
      Math.max(handoff.until - handoff.since, 1),
      handoff.until,
    );
    return { started: started === 1, handoff: JSON.parse(value) as Handoff, lines: parseLines(lines) };
  }

  /**
   * Gives the conversation back to the bot: the handoff that ended, `timedOut` when it had expired unnoticed, or neither
   * when it was not handed off. `note`: a process without metrics (the CLI) leaves the resume for the service to count.
   */
  async end(conversation: string, { note = false, now = Date.now() } = {}): Promise<{ handoff?: Handoff; timedOut: boolean }> {
    const [value, timedOut] = await this.redis.handoffEnd(this.keyOf(conversation), this.index, this.noted, conversation, note ? '1' : '0', now);
    return { ...(value ? { handoff: JSON.parse(value) as Handoff } : {}), timedOut: timedOut === 1 };
  }

  /** Keeps a turn's lines for a transcript (each once, however often the turn runs). */
  async keep(conversation: string, lines: TranscriptLine[]): Promise<void> {
    if (lines.length > 0) await this.redis.handoffLines(this.linesOf(conversation), TRANSCRIPT_LINES, TRANSCRIPT_TTL_MS, ...pairsOf(lines));
  }

  /** The conversation's handoff in force, if any (a read: no timeout is taken, no line kept). */
  async current(conversation: string, now = Date.now()): Promise<Handoff | undefined> {
    const value = await this.redis.get(this.keyOf(conversation));
    const handoff = value === null ? undefined : (JSON.parse(value) as Handoff);
    return handoff && handoff.until > now ? handoff : undefined;
  }

  /** The conversations handed off now, the longest-held first. */
  async list(now = Date.now()): Promise<Handoff[]> {
    const members = await this.redis.zrangebyscore(this.index, `(${now}`, '+inf');
    if (members.length === 0) return [];
    const values = await this.redis.mget(...members.map(this.keyOf));
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as Handoff])).sort((a, b) => a.since - b.since);
  }

  /**
   * For a scrape: the conversations handed off now; those that timed out since anyone looked (each reported once,
   * to whoever takes it); the resumes other processes noted (taken too).
   */
  async scrape(now = Date.now()): Promise<{ handedOff: string[]; timedOut: string[]; noted: NotedResume[] }> {
    const [handedOff, timedOut, noted] = await this.redis.handoffScrape(this.index, this.noted, now);
    return {
      handedOff,
      timedOut,
      noted: noted.flatMap((entry) => {
        try {
          return [JSON.parse(entry) as NotedResume];
        } catch {
          return [];
        }
      }),
    };
  }
}
