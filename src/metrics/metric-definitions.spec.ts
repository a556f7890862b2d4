import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { METRIC_PREFIX, metricName, METRICS, registerMetrics } from './metric-definitions';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('the metrics table', () => {
  const definitions = Object.values(METRICS);

  it('names each metric once, under the prefix, with the unit and suffix Prometheus expects', () => {
    const names = definitions.map(metricName);
    expect(new Set(names).size).toBe(names.length);
    for (const definition of definitions) {
      expect(metricName(definition)).toMatch(/^cometchat_bot_[a-z][a-z0-9_]*$/);
      if (definition.kind === 'counter') expect(definition.name).toMatch(/_total$/);
      if (definition.kind === 'histogram') expect(definition.name).toMatch(/_seconds$/);
    }
  });

  it('registers every entry on the registry given', async () => {
    const registry = new Registry();
    registerMetrics(registry);
    expect((await registry.getMetricsAsJSON()).map((m) => m.name).sort()).toEqual(definitions.map(metricName).sort());
  });

  it('is documented in docs/operations.md: each metric in a row with every one of its labels', () => {
    const rows = read('docs/operations.md')
      .split('\n')
      .filter((line) => line.startsWith('| `cometchat_bot_'));
    for (const definition of definitions) {
      const row = rows.find((line) => line.startsWith(`| \`${metricName(definition)}\` |`));
      expect(row).toBeDefined();
      for (const label of definition.labelNames) expect(row).toContain(`\`${label}\``);
    }
    expect(rows).toHaveLength(definitions.length);
  });

  it('is the only source of the names the README, the docs, the alert rules and the dashboard use', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    const known = new Set([...definitions.map(metricName), ...(await registry.getMetricsAsJSON()).map((m) => m.name)]);
    const used = (text: string) => [...text.matchAll(/\bcometchat_bot_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, ''));
    for (const file of [
      'README.md',
      ...readdirSync(join(ROOT, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`),
      'deploy/prometheus/alerts.yml',
      'deploy/prometheus/alerts.test.yml',
      'deploy/grafana/dashboards/cometchat-bot.json',
    ]) {
      expect({ file, unknown: used(read(file)).filter((name) => !known.has(name)) }).toEqual({ file, unknown: [] });
    }
  });
});
