import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { queueConfig, QueueConfig } from '../../config/app.config';
import { ServedBots } from '../../config/served-bots';
import type { Conversation } from '../../messages';
import { eventIdOf, messageDeduplicationId } from '../job-contracts';
import type { EventJobData } from '../job-contracts';
import { EVENTS_QUEUE } from '../queue-definitions';
import { WorkerRedis } from '../../redis/worker-redis.service';
import { LineCommands } from './line-commands';
import { AbsorbedEntry, Behind, TurnCoalescer, WaitingEntry } from './turn-coalescer';
import { Entered, TurnSequencer } from './turn-sequencer';

/**
 * The events queue's lines, for its worker: a message's job enters its conversation's line, may absorb the messages
 * right behind it (a coalescing responder), and releases the turn once its replies are queued.
 */
@Injectable()
export class EventTurns {
  private readonly sequencer: TurnSequencer;
  private readonly coalescer: TurnCoalescer<EventJobData>;
  private readonly commands: LineCommands;

  constructor(
    redis: WorkerRedis,
    @InjectQueue(EVENTS_QUEUE) events: Queue<EventJobData>,
    @Inject(queueConfig.KEY) queue: QueueConfig,
    private readonly bots: ServedBots,
  ) {
    const commands = new LineCommands(redis.client, redis.prefix, EVENTS_QUEUE);
    this.commands = commands;
    this.sequencer = new TurnSequencer({
      queue: events,
      commands,
      recoveryCheckMs: queue.recoveryCheckMs,
      // A place in line names a message; its job is the one BullMQ's deduplication recorded for it.
      jobIdOf: (messageId, conversation) => events.getDeduplicationJobId(messageDeduplicationId(conversation, messageId)),
    });
    this.coalescer = new TurnCoalescer(events, commands);
  }

  /** The job's turn (see TurnSequencer.enter): it parks the job and throws DelayedError when it is not its turn yet. */
  enter(job: Job<EventJobData>, token: string | undefined): Promise<Entered> {
    return this.sequencer.enter(job, token, this.conversationOf(job), eventIdOf(job.data));
  }

  /**
   * The messages waiting right behind this turn (or the batch it recorded already): see TurnCoalescer. `more`: those
   * waiting past the batch recorded, for a turn taking interruptions, which has `room` left in its batch.
   */
  behind(job: Job<EventJobData>, more?: { room: number }): Promise<Behind<EventJobData>> {
    return this.coalescer.behind(this.conversationOf(job), job.id!, more ? { more: true, room: more.room } : {});
  }

  /** Takes these waiting messages into this turn (`more`: added to its recorded batch); the batch recorded. */
  absorb(job: Job<EventJobData>, taken: WaitingEntry<EventJobData>[], more = false): Promise<AbsorbedEntry<EventJobData>[]> {
    return this.coalescer.absorb(this.conversationOf(job), job.id!, eventIdOf(job.data), taken, more);
  }

  /** This turn takes interruptions: a message arriving meanwhile tells it at once (TurnStops), wherever it runs. */
  takesInterruptions(job: Job<EventJobData>): Promise<void> {
    const keys = this.commands.keys(this.conversationOf(job));
    return this.commands.markInterruptible(keys, job.id!);
  }

  /** Ends the job's turn (done, or failed for good): the conversation's next message may run. */
  release(job: Job<EventJobData>): Promise<void> {
    return this.sequencer.release(this.conversationOf(job), job.id!);
  }

  /** The conversation of the job's message: its bot's own, in a deployment of several bots. */
  private conversationOf(job: Job<EventJobData>): Conversation {
    return this.bots.conversationOf(job.data);
  }

  /**
   * The absorbed messages' jobs, parked until their turn, are woken: each ends at once ("coalesced into"). Best effort:
   * one not woken ends at its recovery check.
   */
  async endAbsorbed(absorbed: AbsorbedEntry<EventJobData>[]): Promise<void> {
    if (absorbed.length === 0) return;
    await this.sequencer.wakeParked(absorbed.map((entry) => entry.jobId)).catch(() => undefined);
  }
}
