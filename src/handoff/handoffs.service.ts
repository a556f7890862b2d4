import { Inject, Injectable, Logger } from '@nestjs/common';
import { handoffConfig, HandoffConfig } from '../config/app.config';
import { ServedBots } from '../config/served-bots';
import { BotEvent, BotReply, Conversation, conversationKey, textOf } from '../messages';
import { botLabel, HandoffResumedBy } from '../metrics/metric-definitions';
import { MetricsService } from '../metrics/metrics.service';
import { parseCommand } from '../responders/responder-router';
import { textReply } from '../responders/reply.builders';
import { ReplyTurns } from '../queue/turns';
import { HandoffStore } from './handoff.store';
import { botLine, transcriptText, userLine } from './transcript';

/** The command that gives a conversation back to the bot: the one message a handed-off conversation still answers. */
export const RESUME_COMMAND = 'bot';

/** The transcript's job id: one per handoff, so a turn run again never posts it twice. */
export const transcriptJobId = (event: BotEvent) => `handoff-${event.id}${event.conversation.bot === undefined ? '' : `.${event.conversation.bot}`}`;

/**
 * Handing conversations to people: `/human` and the LLM's handoff tool start one, the gate (EventsProcessor) keeps the
 * bot silent in it, `/bot`, `cli handoff resume` or HANDOFF_TIMEOUT_MS end it. State in Redis (HandoffStore), so every
 * process and a restart see the same.
 */
@Injectable()
export class Handoffs {
  private readonly logger = new Logger(Handoffs.name);

  constructor(
    private readonly store: HandoffStore,
    private readonly replyTurns: ReplyTurns,
    private readonly metrics: MetricsService,
    private readonly bots: ServedBots,
    @Inject(handoffConfig.KEY) private readonly config: HandoffConfig,
  ) {}

  /**
   * The gate, at the start of a turn: true when the conversation is with people and this event is not `/bot`, so no
   * responder runs. With HANDOFF_NOTIFY the message is kept for a transcript, handed off or not.
   */
  async holds(event: BotEvent): Promise<boolean> {
    // What someone wrote joins the transcript; a delete or a reaction says nothing to read.
    const written = event.kind === 'message' || event.kind === 'edited';
    const seen = await this.store.seen(conversationKey(event.conversation), this.config.notify && written ? userLine(event) : undefined);
    if (seen.kind === 'timed-out') this.resumed(event.conversation, 'timeout', this.config.timeoutMs / 1000);
    return seen.kind === 'handed-off' && !(event.kind === 'message' && parseCommand(event.text)?.name === RESUME_COMMAND);
  }

  /** After a turn: the other messages it answered and the bot's replies join the transcript's lines (HANDOFF_NOTIFY only). */
  async answered(batch: BotEvent[], replies: BotReply[]): Promise<void> {
    if (!this.config.notify || batch.length === 0) return;
    const [event] = batch;
    const lines = [
      ...batch.slice(1).map(userLine),
      ...replies.flatMap((reply, n) => (textOf(reply) ? [botLine(`reply-${event.id}-${n}`, event.bot, textOf(reply))] : [])),
    ];
    await this.store.keep(conversationKey(event.conversation), lines);
  }

  /**
   * Hands the event's conversation to people (unless it is already) and posts the transcript to HANDOFF_NOTIFY.
   * `summary`: the model's one line, when the LLM handed off. A turn run again finds its own handoff and queues the
   * transcript again, which its job id makes a no-op once queued.
   */
  async handOff(event: BotEvent, summary?: string): Promise<void> {
    const now = Date.now();
    const conversation = conversationKey(event.conversation);
    const { started, handoff, lines } = await this.store.start({
      conversation,
      since: now,
      by: { uid: event.sender.uid, ...(event.sender.name ? { name: event.sender.name } : {}) },
      eventId: event.id,
      until: now + this.config.timeoutMs,
    });
    if (!started && handoff.eventId !== event.id) return;
    if (started) {
      this.metrics.metrics.handoffs.inc({ bot: this.labelOf(event.conversation) });
      this.logger.log({ msg: 'handed off', conversation, messageId: event.id, by: event.sender.uid });
    }
    const notify = this.config.notify;
    if (!notify) return;
    const jobId = transcriptJobId(event);
    const target: Conversation = { ...notify, ...(event.conversation.bot === undefined ? {} : { bot: event.conversation.bot }) };
    await this.replyTurns.queue(
      target,
      [
        {
          jobId,
          // Its own place in the notified conversation's line: after whatever the bot said there before.
          data: {
            eventId: event.id,
            index: 0,
            turn: event.receivedAt,
            target,
            reply: textReply(transcriptText(event, handoff, lines, summary)),
            muid: jobId,
          },
        },
      ],
      { firstRun: started },
    );
  }

  /** `/bot`: gives the conversation back to the bot; false when it was not handed off. */
  async resume(conversation: Conversation): Promise<boolean> {
    const { handoff, timedOut } = await this.store.end(conversationKey(conversation));
    if (timedOut) this.resumed(conversation, 'timeout', this.config.timeoutMs / 1000);
    if (!handoff) return false;
    this.resumed(conversation, 'user', (Date.now() - handoff.since) / 1000);
    this.logger.log({ msg: 'resumed', conversation: handoff.conversation, by: 'user' });
    return true;
  }

  private resumed(conversation: Conversation, by: HandoffResumedBy, seconds: number): void {
    this.metrics.metrics.handoffResume.observe({ bot: this.labelOf(conversation), by }, Math.max(seconds, 0));
  }

  private labelOf(conversation: Conversation): string {
    return botLabel(this.bots.ofConversation(conversation));
  }
}
