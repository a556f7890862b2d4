import { BullBoardInstance, BullBoardModule, InjectBullBoard } from '@bull-board/nestjs';
import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { BasicCredentials } from '../common/basic-auth';
import { adminConfig, AdminConfig, queueConfig, QueueConfig } from '../config/app.config';
import type { EnvironmentVariables } from '../config/env.validation';
import { QUEUE_NAMES, queueDefinition } from '../queue/queue-definitions';
import { QueueModule } from '../queue/queue.module';
import { basicAuthBoardAdapter } from './basic-auth-board.adapter';
import { LimitedQueueAdapter } from './limited-queue.adapter';

export const QUEUE_DASHBOARD_ROUTE = '/admin/queues';

/** Only with its own credentials: without ADMIN_* nothing is served, not even a 401. */
export const servesQueueDashboard = (env: Pick<EnvironmentVariables, 'ADMIN_USERNAME'>) => env.ADMIN_USERNAME !== undefined;

/**
 * Puts every queue of the table on the board: QueueModule's own queues (so the keys under QUEUE_PREFIX the
 * service uses), each with its limiter. BullBoardModule.forFeature would do the first, not the second.
 */
@Injectable()
class DashboardQueues implements OnModuleInit {
  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    private readonly moduleRef: ModuleRef,
    @Inject(queueConfig.KEY) private readonly config: QueueConfig,
  ) {}

  onModuleInit(): void {
    for (const name of QUEUE_NAMES) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      this.board.addQueue(new LimitedQueueAdapter(queue, queueDefinition(name).limiter?.(this.config).max));
    }
  }
}

/** The queue dashboard: Bull Board at /admin/queues, behind the ADMIN_* Basic Auth. */
@Module({
  imports: [
    QueueModule,
    BullBoardModule.forRootAsync({
      inject: [adminConfig.KEY],
      useFactory: ({ username, password }: AdminConfig) => ({
        route: QUEUE_DASHBOARD_ROUTE,
        // Loaded only when both are set (servesQueueDashboard; validation refuses one alone).
        adapter: basicAuthBoardAdapter(new BasicCredentials(username!, password!)),
        boardOptions: { uiConfig: { boardTitle: 'cometchat-bot' } },
      }),
    }),
  ],
  providers: [DashboardQueues],
})
export class AdminModule {}
