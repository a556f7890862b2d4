import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { freePort, ServiceProcess } from './service-process';
import { basicAuth, testEnv } from './test-app';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');

/**
 * What a deployment must set, and what the test environment adds (where CometChat, Redis and the port are, a prefix
 * of its own). Anything else, a timing above all, is the shipped default: a test that sets one tests something else.
 */
const ALLOWED = new Set([
  'BOT_UID',
  'WEBHOOK_USERNAME',
  'WEBHOOK_PASSWORD',
  'COMETCHAT_APP_ID',
  'COMETCHAT_REGION',
  'COMETCHAT_API_KEY',
  'COMETCHAT_API_URL',
  'REDIS_URL',
  // Redis through Sentinel instead of REDIS_URL: where Redis is, as a deployment on Sentinel must say.
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'QUEUE_PREFIX',
  'PORT',
  'HOST',
  'LOG_LEVEL',
]);

const newestUnder = (dir: string): number =>
  Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs;
    }),
  );

let built = false;

/**
 * Builds the service (`npm run build`, synchronously) when dist/main.js is missing or older than the newest file under
 * src/, at most once per Jest process: `npm ci && npm test` needs no separate build.
 */
export function ensureBuilt(): void {
  if (built) return;
  if (!existsSync(MAIN) || statSync(MAIN).mtimeMs < newestUnder(join(ROOT, 'src'))) {
    try {
      execFileSync('npm', ['run', 'build'], {
        cwd: ROOT,
        // The Node running the tests runs the build too.
        env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`npm run build failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  }
  built = true;
}

/**
 * The environment of a deployment (testEnv's credentials, no LOG_LEVEL), on a free port; `extra` only from ALLOWED,
 * an `undefined` in it leaving the variable out (REDIS_URL on Sentinel).
 */
export async function deploymentEnv(name: string, extra: Record<string, string | undefined> = {}): Promise<Record<string, string>> {
  const { LOG_LEVEL: _testsLevel, ...base } = testEnv(name);
  const merged = { ...base, PORT: String(await freePort()), HOST: '127.0.0.1', ...extra };
  const env = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const foreign = Object.keys(env).filter((key) => !ALLOWED.has(key));
  if (foreign.length) throw new Error(`not a deployment's variable (the defaults are under test): ${foreign.join(', ')}`);
  return env;
}

/** `node dist/main.js` with `env` (see deploymentEnv), once GET /health/ready answers 200. */
export async function startBuilt(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<ServiceProcess> {
  ensureBuilt();
  const service = ServiceProcess.spawnBuilt(env);
  try {
    await service.ready(readyTimeoutMs);
  } catch (error) {
    service.kill('SIGKILL');
    throw error;
  }
  return service;
}

/** POSTs a callback to the service's webhook as CometChat does (Basic Auth); the status and the parsed answer. */
export async function postCallback(service: ServiceProcess, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${service.url}/webhooks/cometchat`, {
    method: 'POST',
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* kept as text */
  }
  return { status: res.status, body: parsed };
}
