import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  validateSync,
  ValidationError,
} from 'class-validator';

export const APP_ROLES = ['api', 'worker', 'all'] as const;
export type AppRole = (typeof APP_ROLES)[number];
export const COMETCHAT_REGIONS = ['us', 'eu', 'in'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/** Every environment variable the service reads. Defaults live here, next to the rule for each. */
export class EnvironmentVariables {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @IsNotEmpty()
  HOST = '0.0.0.0';

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://localhost:6379';

  // BullMQ builds keys as `<prefix>:<queue>:<id>`; a ':' inside the prefix would blur that.
  @Matches(/^[^:\s]+$/, { message: 'QUEUE_PREFIX must be non-empty and contain no ":" or spaces' })
  QUEUE_PREFIX = 'cometchat-bot';

  @IsIn(APP_ROLES as unknown as string[], { message: `APP_ROLE must be one of: ${APP_ROLES.join(', ')}` })
  APP_ROLE: AppRole = 'all';

  // CometChat forces UIDs to lowercase, so a mixed-case value here could never match a sender.
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @IsNotEmpty({ message: 'BOT_UID is required' })
  @MaxLength(50)
  BOT_UID: string;

  @IsString()
  @IsNotEmpty({ message: 'WEBHOOK_USERNAME is required' })
  @MaxLength(50)
  @Matches(/^[^:]*$/, { message: 'WEBHOOK_USERNAME must not contain ":" (Basic Auth separator)' })
  WEBHOOK_USERNAME: string;

  @IsString()
  @IsNotEmpty({ message: 'WEBHOOK_PASSWORD is required' })
  @MaxLength(100)
  WEBHOOK_PASSWORD: string;

  @IsString()
  @IsNotEmpty({ message: 'COMETCHAT_APP_ID is required' })
  COMETCHAT_APP_ID: string;

  @IsIn(COMETCHAT_REGIONS as unknown as string[], {
    message: `COMETCHAT_REGION must be one of: ${COMETCHAT_REGIONS.join(', ')}`,
  })
  COMETCHAT_REGION: string;

  @IsString()
  @IsNotEmpty({ message: 'COMETCHAT_API_KEY is required' })
  COMETCHAT_API_KEY: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'COMETCHAT_API_URL must be an http(s) URL' })
  COMETCHAT_API_URL?: string;

  @IsIn(LOG_LEVELS as unknown as string[], { message: `LOG_LEVEL must be one of: ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  // Extensions of the contract, all with safe defaults.
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  WEBHOOK_BODY_LIMIT = 1024 * 1024;

  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(10_000)
  WEBHOOK_ENQUEUE_TIMEOUT_MS = 1500;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  COMETCHAT_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  EVENTS_CONCURRENCY = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  REPLIES_CONCURRENCY = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  JOB_LOCK_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  SHUTDOWN_GRACE_MS = 10_000;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const messages = Object.values(e.constraints ?? {});
    // class-validator lists one message per rule; the first failing one is enough to act on.
    const shown = messages.length ? messages[messages.length - 1] : 'is invalid';
    return shown.startsWith(e.property) ? shown : `${e.property}: ${shown}`;
  });
}

/** Validates process.env-like input; throws one error naming every bad variable. */
export function validateEnv(raw: Record<string, unknown>): EnvironmentVariables {
  const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
  const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigValidationError(describe(errors));
  return env;
}
