import { Inject, Injectable } from '@nestjs/common';
import { respondersConfig, RespondersConfig } from '../../config/app.config';
import type { ServedBot } from '../../config/served-bots';
import { feedbackOf, type BotEvent, type BotReply, type CometChatCallback } from '../../messages';
import { botLabel } from '../../metrics/metric-definitions';
import { AnswerRecords } from '../answers/answer-records';
import { replyJobId, type ReplyJobData } from '../job-contracts';
import { ReplyTurns } from '../turns';

/** A change's delete takes this place in its turn, after anything its responders say (at most 50 replies). */
const DELETE_INDEX = 500;

/** What a change's turn does besides routing it: what it found and did, for its log line. */
export interface ChangeHandling {
  /** Whether responders see it (an edit of a message the bot did not answer is not answered). */
  route: boolean;
  /** The bot's answers to it queued for deletion (a deleted question). */
  deletes: boolean;
  /** A 👍/👎 on an answer counted (or taken back) now. */
  feedback?: 'counted' | 'counted-before';
}

/**
 * The built-in handling of an app webhook's change, before responders see it, each part switchable:
 * - an edit of a message the bot took is answered again (ANSWER_EDITED_MESSAGES): routed, with `before` its text;
 * - a delete of a message the bot answered deletes the answer (DELETE_ANSWERS_OF_DELETED_MESSAGES), in the reply line;
 * - a 👍/👎 on an answer counts as feedback for its responder (COUNT_FEEDBACK), once however often it is delivered.
 * Deletes and reactions are routed to the responders that take them (`on`); none does by default.
 */
@Injectable()
export class MessageChanges {
  constructor(
    private readonly answers: AnswerRecords,
    private readonly replyTurns: ReplyTurns,
    @Inject(respondersConfig.KEY) private readonly config: Pick<RespondersConfig, 'changes'>,
  ) {}

  /** `event` gains what the service knows (`before`, `reaction.onAnswer`); `turn` and `firstRun` place its delete. */
  async handle(event: BotEvent, bot: ServedBot, { turn, firstRun }: { turn: number; firstRun: boolean }): Promise<ChangeHandling> {
    const change = (event.raw as CometChatCallback).change!;
    const { answerEdits, deleteAnswers, countFeedback } = this.config.changes;
    if (event.kind === 'edited') {
      // Taken only for a message the bot took (AppEventsInbox): answered again like it. The text it had, when recorded.
      const answer = await this.answers.answerTo(event.conversation, event.id);
      if (answer?.text !== undefined) event.before = { text: bot.stripMentions(answer.text) };
      return { route: answerEdits, deletes: false };
    }
    if (event.kind === 'deleted') {
      // Which answer messages is read when the delete goes, after any answer still queued before it in the reply line.
      if (deleteAnswers) await this.replyTurns.queue(event.conversation, [this.deleteJob(event, change.key, turn)], { firstRun });
      return { route: true, deletes: deleteAnswers };
    }
    const answer = await this.answers.answerOf(event.conversation.bot, event.id);
    if (!answer || !event.reaction) return { route: true, deletes: false };
    event.reaction.onAnswer = { question: answer.question, ...(answer.responder ? { responder: answer.responder } : {}) };
    const reaction = feedbackOf(event.reaction.emoji);
    if (!reaction || !countFeedback) return { route: true, deletes: false };
    const labels = { bot: botLabel(bot), responder: answer.responder ?? '', reaction };
    const counted = await this.answers.countFeedback(labels, event.kind === 'reaction-added' ? 1 : -1, change.key);
    return { route: true, deletes: false, feedback: counted ? 'counted' : 'counted-before' };
  }

  private deleteJob(event: BotEvent, key: string, turn: number): { jobId: string; data: ReplyJobData } {
    const jobId = replyJobId(key, DELETE_INDEX, event.conversation.bot);
    const reply: BotReply = { category: 'message', type: 'text', data: {} };
    return { jobId, data: { eventId: key, index: DELETE_INDEX, turn, target: event.conversation, reply, muid: jobId, deletesAnswersOf: event.id } };
  }
}
