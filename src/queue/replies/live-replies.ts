import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { JobState, Queue } from 'bullmq';
import { ServedBots } from '../../config/served-bots';
import { textOf, type BotReply } from '../../messages';
import { botLabel } from '../../metrics/metric-definitions';
import { MetricsService } from '../../metrics/metrics.service';
import type { LiveSink } from '../../responders/live-answer';
import { WorkerRedis } from '../../redis/worker-redis.service';
import { DEDUPLICATION_TTL_MS, ReplyJobData } from '../job-contracts';
import { REPLIES_QUEUE } from '../queue-definitions';
import { ReplyTurns } from '../turns';

/** A reply job as it is queued: its id and data. */
export interface QueuedReply {
  jobId: string;
  data: ReplyJobData;
}

/** A streamed answer as the replies worker reads it: the text to show, and what was shown last, when. */
export interface LiveText {
  text: string;
  /** The text is the whole answer (or its stopped end): no more comes. */
  final: boolean;
  /** The text CometChat last took (the post's or an edit's), and when (epoch ms); '' and 0 before the post. */
  shown: string;
  shownAt: number;
}

/** Edits not yet taken up: a newer text joins the one waiting instead of queueing another. */
const NOT_STARTED: ReadonlySet<JobState | 'unknown'> = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/** An edit's job id: its post's, and its number (padded, so a conversation's reply line orders it after the earlier ones). */
const editJobId = (postId: string, seq: number) => `${postId}.e${String(seq).padStart(6, '0')}`;

/**
 * Streamed answers on the bot path, shown while they are written (docs/live-turns.md). A live answer is one reply: its
 * post (a reply job like any other, exactly once, whose send record is kept for its edits), then edits, each a reply
 * job of its own in the conversation's reply line after it (so each is budgeted, paused by a 429 and retried alone).
 * The text to show lives in one hash per answer, `replies:live:<post job id>`, read by each job when it goes: a job
 * always sends the newest text, and a newer text joins an edit still waiting rather than queueing one more. Only this
 * class reads or writes that hash.
 */
@Injectable()
export class LiveReplies {
  private readonly keyPrefix: string;

  constructor(
    private readonly redis: WorkerRedis,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue<ReplyJobData>,
    private readonly turns: ReplyTurns,
    private readonly metrics: MetricsService,
    private readonly bots: ServedBots,
  ) {
    this.keyPrefix = `${redis.prefix}:${REPLIES_QUEUE}:live:`;
  }

  /**
   * The sink a turn's streamed answer goes to, as its reply `post` (the turn's first). `earlier`: a run of this turn
   * posted it already (the turn runs again after a crash or a retry): what it shows now edits that message.
   */
  sinkFor(post: QueuedReply, { firstRun, earlier }: { firstRun: boolean; earlier: boolean }): LiveReply {
    return new LiveReply(this, post, firstRun, earlier);
  }

  /** Whether a run of the turn posted this reply as a live answer (its text is stored). */
  async wasPosted(postId: string): Promise<boolean> {
    return (await this.redis.client.exists(this.keyPrefix + postId)) === 1;
  }

  /** Stores the text and queues the post (a re-run's post is queued once, as any reply). */
  async post(post: QueuedReply, firstRun: boolean): Promise<void> {
    await this.write(post.jobId, textOf(post.data.reply), false);
    await this.turns.queue(post.data.target, [{ jobId: post.jobId, data: { ...post.data, live: true } }], { firstRun });
    this.metrics.metrics.progressPosts.inc({ bot: this.botOf(post) });
  }

  /**
   * Stores the text to show and makes sure an edit will show it: one waiting already (queued, delayed by the budget or
   * a 429, or backing off) takes it, else a new edit is queued. 'joined' when the text joined a waiting edit: the text
   * that edit was queued for is never shown (an intermediate edit skipped under pressure).
   */
  async show(post: QueuedReply, text: string, final: boolean): Promise<'queued' | 'joined'> {
    const seq = await this.write(post.jobId, text, final);
    if (seq > 0 && NOT_STARTED.has(await this.replies.getJobState(editJobId(post.jobId, seq)))) {
      this.metrics.metrics.streamEdits.inc({ bot: this.botOf(post), outcome: 'skipped' });
      return 'joined';
    }
    const next = await this.redis.client.hincrby(this.keyPrefix + post.jobId, 'seq', 1);
    const jobId = editJobId(post.jobId, next);
    const { eventId, index, turn, target, reply } = post.data;
    await this.turns.queue(target, [{ jobId, data: { eventId, index, turn, target, reply, muid: jobId, editOf: post.jobId } }], { firstRun: true });
    return 'queued';
  }

  /** The answer's text as the replies worker sends it; undefined when none is stored (expired, or never live). */
  async read(postId: string): Promise<LiveText | undefined> {
    const found = await this.redis.client.hgetall(this.keyPrefix + postId);
    if (found.text === undefined) return undefined;
    return { text: found.text, final: found.final === '1', shown: found.shown ?? '', shownAt: Number(found.shownAt ?? 0) };
  }

  /** CometChat took this text (the post's or an edit's). */
  async shown(postId: string, text: string, at = Date.now()): Promise<void> {
    await this.redis.client.hset(this.keyPrefix + postId, { shown: text, shownAt: at });
  }

  /** An edit went. */
  countEdit(post: Pick<QueuedReply, 'data'>): void {
    this.metrics.metrics.streamEdits.inc({ bot: this.botOf(post), outcome: 'sent' });
  }

  /** Writes the text (and the final mark), keeping the record a day, like the post's send record; the last edit's number. */
  private async write(postId: string, text: string, final: boolean): Promise<number> {
    const key = this.keyPrefix + postId;
    const answers = await this.redis.client
      .multi()
      .hset(key, final ? { text, final: 1 } : { text })
      .pexpire(key, DEDUPLICATION_TTL_MS)
      .hget(key, 'seq')
      .exec();
    const failed = answers?.find(([error]) => error);
    if (!answers || failed) throw failed?.[0] ?? new Error('the live answer was not stored');
    return Number(answers[2][1] ?? 0);
  }

  private botOf(reply: Pick<QueuedReply, 'data'>): string {
    return botLabel(this.bots.ofConversation(reply.data.target));
  }
}

/**
 * One turn's live answer, as the responder router drives it (LiveSink): what it posted and showed, for the turn's end
 * (the whole answer, or `(stopped)`) and its log line.
 */
export class LiveReply implements LiveSink {
  /** Shown: posted by this run, or by an earlier run of the turn. */
  posted: boolean;
  /** The answer's text last shown (not the progress text). */
  shown = '';
  edits = 0;

  constructor(
    private readonly live: LiveReplies,
    private readonly reply: QueuedReply,
    private readonly firstRun: boolean,
    earlier: boolean,
  ) {
    this.posted = earlier;
  }

  async post(reply: BotReply): Promise<void> {
    const text = textOf(reply);
    // An earlier run posted the answer: this run's text edits it, never a second post.
    if (this.posted) await this.live.show(this.reply, text, false);
    else await this.live.post({ ...this.reply, data: { ...this.reply.data, reply } }, this.firstRun);
    this.posted = true;
    this.shown = text;
  }

  async edit(text: string): Promise<void> {
    await this.live.show(this.reply, text, false);
    this.shown = text;
    this.edits++;
  }

  /** The whole answer: the last edit shows exactly it. */
  async finish(text: string): Promise<void> {
    await this.live.show(this.reply, text, true);
  }
}
