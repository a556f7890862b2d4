import type { IncomingMessage } from 'node:http';
import { tracesWanted } from '../common/traces-wanted';

const DEFAULT_SERVICE_NAME = 'cometchat-bot-service';

export interface Tracing {
  readonly enabled: boolean;
  /** Flushes the spans not yet exported and stops the SDK; resolves at once when tracing is off. */
  shutdown(): Promise<void>;
}

/** A collector that does not answer must not hold the exit past the drain: spans not sent by then are dropped. */
const FLUSH_BUDGET_MS = 5000;

function flushBounded(shutdown: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_BUDGET_MS)));
  return Promise.race([shutdown.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

/** Probes and scrapes would each be a trace of their own, every few seconds, saying nothing. */
const QUIET_PATHS = /^\/(?:metrics|health)(?:[/?]|$)/;
const quiet = (request: IncomingMessage) => QUIET_PATHS.test(request.url ?? '');

/**
 * Starts the OpenTelemetry SDK when traces are wanted, before anything loads http or fastify so that both are
 * instrumented. Off, nothing is loaded or patched: the SDK is required only here, only then. Endpoint, protocol,
 * batching and sampling are the SDK's own OTEL_* variables; traces only (no OTel metrics or logs: the service has
 * its Prometheus metrics and its logs).
 */
export function startTracing(env: NodeJS.ProcessEnv): Tracing {
  if (!tracesWanted(env)) return OFF;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { FastifyOtelInstrumentation } = require('@fastify/otel') as typeof import('@fastify/otel');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    // Our name is the lowest layer: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, detected on top, win.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': DEFAULT_SERVICE_NAME })),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: quiet }),
      // Names the HTTP server span by its route (POST /webhooks/cometchat); hook spans would only add noise.
      new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false }),
    ],
  });
  sdk.start();
  return { enabled: true, shutdown: () => flushBounded(sdk.shutdown()) };
}
