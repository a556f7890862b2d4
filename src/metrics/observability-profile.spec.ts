import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricName, METRICS } from './metric-definitions';

const ROOT = join(__dirname, '..', '..');
// Debian's docker-compose package checks the file here; where it is missing the compose checks cannot run.
const compose = spawnSync('docker-compose', ['version'], { cwd: ROOT }).status === 0;

(compose ? describe : describe.skip)('docker-compose.yml observability profile (docker-compose config)', () => {
  const config = (...args: string[]) => spawnSync('docker-compose', [...args, 'config'], { cwd: ROOT, encoding: 'utf8' });

  it('adds Prometheus, Grafana and Jaeger in the observability profile only', () => {
    const result = config();
    expect(result.status).toBe(0);
    // Per service as `docker-compose config` prints it: the two of the profile carry it, redis and bot none.
    const services = result.stdout.split(/\n(?= {2}[a-z-]+:\n)/).filter((block) => /^ {2}(redis|bot|prometheus|grafana|jaeger):/.test(block));
    const profiled = services.filter((block) => /\n {4}profiles:\n {4}- observability/.test(block)).map((block) => block.trim().split(':')[0]);
    expect(profiled.sort()).toEqual(['grafana', 'jaeger', 'prometheus']);
  });

  it('mounts the scrape configuration, the alert rules and the provisioned dashboard', () => {
    const result = config('--profile', 'observability');
    expect(result.status).toBe(0);
    for (const file of [
      'deploy/prometheus/prometheus.yml',
      'deploy/prometheus/alerts.yml',
      'deploy/grafana/provisioning',
      'deploy/grafana/dashboards',
    ]) {
      expect(result.stdout).toContain(join(ROOT, file));
    }
  });
});

describe('the provisioned Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/cometchat-bot.json'), 'utf8'));

  it('reads the provisioned Prometheus data source in every panel, each with a query', () => {
    const datasource = readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    expect(datasource).toContain('uid: prometheus');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid).toBe('prometheus');
      expect(panel.targets[0].expr).toMatch(/cometchat_bot_/);
    }
  });

  it('has a bot variable (every bot by default), and filters by it each series that has a bot label', () => {
    const [variable] = dashboard.templating.list;
    expect(variable).toMatchObject({ name: 'bot', type: 'query', includeAll: true, multi: true, allValue: '.*' });
    expect(variable.query.query).toMatch(/^label_values\(cometchat_bot_[a-z_]+, bot\)$/);
    const perBot = new Set(
      Object.values(METRICS)
        .filter((definition) => (definition.labelNames as readonly string[]).includes('bot'))
        .map(metricName),
    );
    const uses = dashboard.panels.flatMap((panel: { targets: Array<{ expr: string }> }) =>
      panel.targets.flatMap(({ expr }) => [...expr.matchAll(/\b(cometchat_bot_[a-z0-9_]+?)(?:_bucket|_sum|_count)?(\{[^}]*\})?\[/g)]),
    );
    const filtered = uses.filter(([, name]: string[]) => perBot.has(name));
    expect(filtered.length).toBeGreaterThanOrEqual(8);
    for (const [use, , selector] of filtered) expect({ use, filtered: selector?.includes('bot=~"$bot"') }).toEqual({ use, filtered: true });
  });
});
