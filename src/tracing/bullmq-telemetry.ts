import type { Telemetry } from 'bullmq';

/**
 * BullMQ's telemetry (the BullMQ project's bullmq-otel) for a Queue or Worker when tracing is on: an add stores
 * the active trace context in the job, and the worker's processing continues that trace. Off, undefined: BullMQ
 * takes its untraced path, and bullmq-otel is not loaded. `enabled` is the app's tracing configuration (tracingConfig).
 */
export function bullmqTelemetry(config: { enabled: boolean }): Telemetry | undefined {
  if (!config.enabled) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BullMQOtel } = require('bullmq-otel') as typeof import('bullmq-otel');
  return new BullMQOtel();
}
