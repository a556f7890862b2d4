import { Controller, Get } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { QueueWorkers } from '../queue/workers/queue-workers.service';
import { RedisHealthIndicator } from './redis.health';

@Controller('health')
export class HealthController {
  /** The workers, in the roles that run them (worker, all); absent in APP_ROLE=api. */
  private workers?: QueueWorkers;

  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    modules: ModuleRef,
  ) {
    try {
      this.workers = modules.get(QueueWorkers, { strict: false });
    } catch {
      this.workers = undefined;
    }
  }

  /** The process is up and serving HTTP. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Ready to take work: Redis takes writes, and (where they run) every queue's worker runs. 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  ready() {
    const checks = [() => this.redis.isHealthy()];
    const workers = this.workers;
    if (workers) {
      checks.push(async () => {
        const indicator = this.indicators.check('workers');
        const stopped = workers.stopped();
        return stopped.length === 0 ? indicator.up() : indicator.down({ message: `not running: ${stopped.join(', ')}` });
      });
    }
    return this.health.check(checks);
  }
}
