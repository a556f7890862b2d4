import { Controller, Get, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { AppCredentialsCheck } from '../cometchat/app-credentials.check';
import { QueueWorkers } from '../queue/workers/queue-workers.service';
import { RedisHealthIndicator } from './redis.health';

@Controller('health')
export class HealthController implements OnModuleInit {
  /** The workers, in the roles that run them (worker, all); absent in APP_ROLE=api. */
  private workers?: QueueWorkers;
  /** The boot check of each bot's app credentials, where replies go to CometChat (worker, all; not sandbox). */
  private credentials?: AppCredentialsCheck;

  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly modules: ModuleRef,
  ) {}

  /**
   * Looked up once every provider is built, not in the constructor: built before them, this controller would be handed
   * an instance not constructed yet (Nest's placeholder), whose fields are all unset.
   */
  onModuleInit(): void {
    this.workers = optional(this.modules, QueueWorkers);
    this.credentials = optional(this.modules, AppCredentialsCheck);
  }

  /** The process is up and serving HTTP. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * Ready to take work: Redis takes writes, (where they run) every queue's worker runs, and (where replies go to
   * CometChat) no bot's app refused its credentials at boot. 503 otherwise, naming what fails.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    const checks = [() => this.redis.isHealthy()];
    const { workers, credentials } = this;
    if (workers) {
      checks.push(async () => {
        const indicator = this.indicators.check('workers');
        const stopped = workers.stopped();
        return stopped.length === 0 ? indicator.up() : indicator.down({ message: `not running: ${stopped.join(', ')}` });
      });
    }
    if (credentials) {
      checks.push(async () => {
        const indicator = this.indicators.check('cometchat');
        const refused = credentials.refused();
        // Bots CometChat has not answered for yet are named, not failed: no answer is not a refusal.
        const unconfirmed = credentials.unconfirmed();
        const pending: { unconfirmed?: string[] } = unconfirmed.length > 0 ? { unconfirmed } : {};
        if (refused.length === 0) return indicator.up(pending);
        return indicator.down({
          message: `app credentials refused for ${refused.map(({ bot }) => bot).join(', ')}`,
          refused: Object.fromEntries(refused.map(({ bot, reason }) => [bot, reason])),
          ...pending,
        });
      });
    }
    return this.health.check(checks);
  }
}

/** A provider of a module this role may not load (ModuleRef throws when it is absent). */
function optional<T>(modules: ModuleRef, type: new (...args: never[]) => T): T | undefined {
  try {
    return modules.get(type, { strict: false });
  } catch {
    return undefined;
  }
}
