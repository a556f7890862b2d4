import { plainToInstance } from 'class-transformer';
import { cometchatApiUrl as appApiUrl } from '../config/bot-rules';
import { ConfigValidationError, EnvironmentVariables, resolveDefaults, validateEnv } from '../config/env.validation';

export type EnvKey = keyof EnvironmentVariables;
type RawEnv = Record<string, string | undefined>;

const names = (problem: string, key: string) => problem === key || problem.startsWith(`${key} `) || problem.startsWith(`${key}:`);

/**
 * The variables one command needs, validated by the service's own rules (validateEnv), so a command never
 * demands settings it does not use (`failed list` runs without CometChat credentials). Throws a
 * ConfigValidationError naming only the needed variables that are wrong.
 */
export function readEnv<K extends EnvKey>(keys: readonly K[], raw: RawEnv = process.env): Pick<EnvironmentVariables, K> {
  try {
    return validateEnv(raw);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    // validateEnv words every problem as "<VARIABLE> …", which is what lets us keep only ours.
    const ours = error.problems.filter((problem) => keys.some((key) => names(problem, key)));
    if (ours.length > 0) throw new ConfigValidationError(ours);
    const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
    const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
    resolveDefaults(env);
    return env;
  }
}

/** The whole configuration the service would boot with, or every problem in it. */
export function readFullEnv(raw: RawEnv = process.env): EnvironmentVariables {
  return validateEnv(raw);
}

export const COMETCHAT_CREDENTIALS = ['COMETCHAT_APP_ID', 'COMETCHAT_REGION', 'COMETCHAT_API_KEY'] as const;

/** The CometChat credentials that are not set (as in a sandbox setup, where the service needs none). */
export function missingCredentials(raw: RawEnv = process.env): string[] {
  return COMETCHAT_CREDENTIALS.filter((key) => !raw[key]?.trim());
}

/**
 * Says plainly that CometChat credentials are absent, because the schema's "X is required" does not tell a
 * newcomer (who may be running without a CometChat account) why a CometChat command needs them.
 */
export function missingCredentialsMessage(missing: string[]): string {
  return `CometChat credentials are missing: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set`;
}

export const CREDENTIALS_FIX =
  'set COMETCHAT_APP_ID, COMETCHAT_REGION and COMETCHAT_API_KEY (a full-access REST API key, Dashboard → API & Auth Keys) in the environment or .env';

/** The REST base URL the service uses (its rule: cometchatApiUrl in src/config/bot-rules.ts). */
export function cometchatApiUrl(env: Pick<EnvironmentVariables, 'COMETCHAT_API_URL' | 'COMETCHAT_APP_ID' | 'COMETCHAT_REGION'>): string {
  return appApiUrl({ appId: env.COMETCHAT_APP_ID, region: env.COMETCHAT_REGION, apiUrl: env.COMETCHAT_API_URL });
}

export { printableRedisUrl } from '../config/app.config';

/** What a command needs to reach the service's Redis, on any topology, and its keys. */
export const REDIS_KEYS = [
  'REDIS_URL',
  'QUEUE_PREFIX',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_CLUSTER_NODES',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
] as const;
