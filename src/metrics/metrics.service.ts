import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { METRIC_PREFIX, Metrics, registerMetrics } from './metric-definitions';

/** Work a scrape needs done before the registry is read: figures that live elsewhere (Redis). */
export type ScrapeCollector = () => Promise<void>;

/**
 * The service's metrics on a registry of its own (not prom-client's global one, so two apps in one process, as in
 * the tests, never share counters), with Node's process metrics. Modules record through `metrics`; those whose
 * figures must be read at scrape time register a collector.
 */
@Injectable()
export class MetricsService {
  readonly metrics: Metrics;
  private readonly registry = new Registry();
  private readonly collectors: ScrapeCollector[] = [];
  private readonly logger = new Logger(MetricsService.name);

  constructor() {
    this.metrics = registerMetrics(this.registry);
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  /** Runs before every scrape, concurrently with the other collectors, so their Redis round trips overlap. */
  beforeScrape(collector: ScrapeCollector): void {
    this.collectors.push(collector);
  }

  /** The Prometheus text exposition. A collector that fails leaves its figures as it set them; the scrape still answers. */
  async scrape(): Promise<string> {
    const results = await Promise.allSettled(this.collectors.map((collect) => collect()));
    for (const result of results) {
      if (result.status === 'rejected') this.logger.warn(`a metrics collector failed: ${(result.reason as Error)?.message ?? result.reason}`);
    }
    return this.registry.metrics();
  }
}
