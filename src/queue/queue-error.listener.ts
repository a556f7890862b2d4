import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { ConnectionErrorLogger } from './connection-error.logger';
import { EVENTS_QUEUE, REPLIES_QUEUE } from './job-contracts';

/** Without a listener BullMQ prints every connection error with its stack; route them to the throttled log. */
@Injectable()
export class QueueErrorListener implements OnModuleInit {
  constructor(
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue,
    private readonly errors: ConnectionErrorLogger,
  ) {}

  onModuleInit(): void {
    this.events.on('error', (error) => this.errors.report(`${EVENTS_QUEUE} queue`, error));
    this.replies.on('error', (error) => this.errors.report(`${REPLIES_QUEUE} queue`, error));
  }
}
