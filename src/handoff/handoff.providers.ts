import type { Provider } from '@nestjs/common';
import { WorkerRedis } from '../redis/worker-redis.service';
import { HandoffMetricsCollector } from './handoff-metrics.collector';
import { HandoffStore } from './handoff.store';
import { HandoffTool } from './handoff.tool';
import { Handoffs } from './handoffs.service';
import { HumanResponder } from './human.responder';
import { ResumeResponder } from './resume.responder';

/**
 * The worker side of handoffs: the store (on the workers' own Redis connection), the service, `/human`
 * and `/bot`, the scrape's figures, and with `tool` (HANDOFF_NOTIFY set) the LLM's `handoff` tool. Listed by the
 * processing module, beside the ReplyTurns the transcript is queued with.
 */
export const handoffProviders = ({ tool }: { tool: boolean }): Provider[] => [
  { provide: HandoffStore, inject: [WorkerRedis], useFactory: (redis: WorkerRedis) => new HandoffStore(redis.client, redis.prefix) },
  Handoffs,
  HandoffMetricsCollector,
  HumanResponder,
  ResumeResponder,
  ...(tool ? [HandoffTool] : []),
];
