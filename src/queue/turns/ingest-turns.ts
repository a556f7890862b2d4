import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { queueConfig, QueueConfig } from '../../config/app.config';
import type { Conversation } from '../../messages';
import { RedisConnections, type RedisClient } from '../../redis';
import type { EventJobData } from '../job-contracts';
import { EVENTS_QUEUE } from '../queue-definitions';
import { redisClientOf } from '../../redis/redis-client';
import { IngestClaim, IngestMessage, LineCommands } from './line-commands';
import { promoteParked } from './turn-sequencer';
import { interruptTurn, stopTurn } from './turn-stops';

export type { IngestClaim, IngestMessage } from './line-commands';

/**
 * The events queue's lines at ingest, on the webhook's own connection (the queue's): each message takes its place in
 * its conversation's line before its job is stored, so its order is Redis's arrival order whatever the workers do.
 */
@Injectable()
export class IngestTurns {
  private commands?: LineCommands;
  private readonly commandsReady: Promise<LineCommands>;
  private readonly prefix: string;
  /** A message stored parked (delayed) wakes by itself after this long, should no hand-off promote it. */
  readonly parkedDelayMs: number;

  constructor(
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue<EventJobData>,
    connections: RedisConnections,
    @Inject(queueConfig.KEY) queue: Pick<QueueConfig, 'recoveryCheckMs'>,
  ) {
    this.parkedDelayMs = queue.recoveryCheckMs;
    this.prefix = connections.prefix;
    this.commandsReady = redisClientOf(events).then((redis) => (this.commands = new LineCommands(redis, connections.prefix, EVENTS_QUEUE)));
    this.commandsReady.catch(() => undefined); // Redis down at boot: claim() waits for it, and the webhook answers 503
  }

  /** Resolves once the queue's connection is there. */
  async ready(): Promise<void> {
    await this.commandsReady;
  }

  /**
   * Every message's place in line, in one call sent at once (before the caller's adds, in the same write), so the
   * places are there before any job. Call after ready().
   */
  claim(messages: IngestMessage[]): Promise<IngestClaim[]> {
    if (!this.commands) return Promise.reject(new Error('the events queue has no connection yet'));
    return this.commands.claimMessages(messages);
  }

  /**
   * `/stop`: the conversation's running turn, if one runs, is stopped wherever it runs (see turn-stops); its job id, or
   * undefined when nothing runs.
   */
  async stopRunning(conversation: Conversation): Promise<string | undefined> {
    return this.tellRunning(conversation, stopTurn);
  }

  /** A message stored behind a turn that takes interruptions: that turn is told, wherever it runs. Best effort. */
  async interrupt(conversation: Conversation): Promise<void> {
    await this.tellRunning(conversation, interruptTurn);
  }

  /** Tells the conversation's running turn (its line's holder), if one runs; its job id. */
  private async tellRunning(
    conversation: Conversation,
    tell: (redis: RedisClient, prefix: string, jobId: string) => Promise<void>,
  ): Promise<string | undefined> {
    const commands = await this.commandsReady;
    const holder = await commands.holder(commands.keys(conversation));
    if (holder !== undefined) await tell(await redisClientOf(this.events), this.prefix, holder);
    return holder;
  }

  /** A parked message found heading a free line: promoted once its job is stored. */
  async promote(jobId: string): Promise<boolean> {
    return promoteParked(this.events, jobId);
  }

  /**
   * A place claimed for a message that was not stored, or was stored before (a redelivery), is taken back: no job
   * would ever take that turn. The parked message behind it, if it headed the line, is woken.
   */
  async takeBack(conversation: Conversation, messageId: string, claim: IngestClaim): Promise<void> {
    if (!claim.member || !this.commands) return;
    const next = await this.commands.drop(this.commands.keys(conversation), claim.member, messageId);
    if (next?.parked && !next.parked.woken) await promoteParked(this.events, next.parked.jobId);
  }
}
