import { startTracing } from './tracing';

/**
 * Imported by main.ts before anything else: instrumentation must be in place before http and fastify are loaded.
 * The OTEL_* variables are read here, straight from the environment, because the SDK reads them itself.
 */
export const tracing = startTracing(process.env);
