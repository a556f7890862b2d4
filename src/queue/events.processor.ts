import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { ResponderRegistry } from '../responders/responder.registry';
import { BOT_REPLY_JOB, BotEvent, REPLIES_QUEUE, replyJobId, ReplyJobData } from './job-contracts';

export interface EventOutcome {
  responder?: string;
  replies: string[];
}

/** Runs the responders for one event and queues what they say. Never calls CometChat itself. */
@Injectable()
export class EventsProcessor {
  constructor(
    private readonly registry: ResponderRegistry,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue<ReplyJobData>,
  ) {}

  async process(job: Job<BotEvent>): Promise<EventOutcome> {
    const event = job.data;
    const outcome = await this.registry.respond(event);
    // Deterministic ids: when this job runs again (retry, stall), the same replies are not queued twice.
    const jobs = outcome.replies.map((reply, index) => {
      const id = replyJobId(event.id, index);
      return {
        name: BOT_REPLY_JOB,
        data: { eventId: event.id, index, target: event.conversation, reply, muid: id },
        opts: { jobId: id },
      };
    });
    if (jobs.length > 0) await this.replies.addBulk(jobs);
    return { responder: outcome.responder, replies: jobs.map((j) => j.opts.jobId) };
  }
}
