import type { Telemetry } from 'bullmq';
import type { TracingConfig } from '../config/app.config';

/**
 * BullMQ's telemetry (the BullMQ project's bullmq-otel) for a Queue or Worker when tracing is on: an add stores
 * the active trace context in the job, and the worker's processing continues that trace. Off, undefined: BullMQ
 * takes its untraced path, and bullmq-otel is not loaded.
 */
export function bullmqTelemetry(config: TracingConfig): Telemetry | undefined {
  if (!config.enabled) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BullMQOtel } = require('bullmq-otel') as typeof import('bullmq-otel');
  return new BullMQOtel();
}
