import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { ConnectionErrorLogger } from '../redis/connection-error.logger';
import { QUEUE_NAMES } from './queue-definitions';

/** Without a listener BullMQ prints every connection error with its stack; route them to the throttled log. */
@Injectable()
export class QueueErrorListener implements OnModuleInit {
  constructor(
    private readonly modules: ModuleRef,
    private readonly errors: ConnectionErrorLogger,
  ) {}

  onModuleInit(): void {
    for (const name of QUEUE_NAMES) {
      const queue = this.modules.get<Queue>(getQueueToken(name), { strict: false });
      queue.on('error', (error) => this.errors.report(`${name} queue`, error));
    }
  }
}
