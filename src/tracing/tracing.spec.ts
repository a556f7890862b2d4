import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bullmqTelemetry } from './bullmq-telemetry';
import { startTracing } from './tracing';

const ROOT = join(__dirname, '..', '..');

/**
 * Starts tracing in a fresh Node process with `env`, then loads http as the app would: what got loaded, and
 * whether http was patched. A fresh process because what a start loads and patches stays for the process.
 */
function startIn(env: Record<string, string>): { enabled: boolean; loaded: string[]; httpPatched: boolean } {
  const script = `
    const { startTracing } = require('./src/tracing/tracing');
    const tracing = startTracing(process.env);
    const http = require('node:http');
    const loaded = Object.keys(require.cache).filter((f) => /node_modules\\/(@opentelemetry|@fastify\\/otel|bullmq-otel)\\//.test(f));
    console.log(JSON.stringify({ enabled: tracing.enabled, loaded, httpPatched: '__wrapped' in http.request }));
    tracing.shutdown();
  `;
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

describe('tracing', () => {
  it('off, is a no-op that resolves its shutdown at once', async () => {
    const tracing = startTracing({});
    expect(tracing.enabled).toBe(false);
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  });

  it('off (no endpoint, or disabled), loads no OpenTelemetry module and patches nothing', () => {
    const offs: Array<Record<string, string>> = [{}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' }];
    for (const env of offs) {
      expect(startIn(env)).toEqual({ enabled: false, loaded: [], httpPatched: false });
    }
  });

  it('on, starts the SDK and instruments http', () => {
    const on = startIn({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(on).toMatchObject({ enabled: true, httpPatched: true });
    expect(on.loaded.some((f) => f.includes('/@opentelemetry/sdk-node/'))).toBe(true);
  });

  it('gives BullMQ telemetry only when tracing is on', () => {
    expect(bullmqTelemetry({ enabled: false })).toBeUndefined();
    const telemetry = bullmqTelemetry({ enabled: true });
    expect(telemetry?.tracer).toBeDefined();
    expect(telemetry?.contextManager).toBeDefined();
  });
});
