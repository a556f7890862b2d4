import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const RULES = join(__dirname, '..', '..', 'deploy', 'prometheus');
// Debian's `prometheus` package provides promtool; where it is missing the rules go unchecked here.
const promtool = spawnSync('promtool', ['--version']).status === 0;

(promtool ? describe : describe.skip)('deploy/prometheus/alerts.yml (promtool)', () => {
  const run = (...args: string[]) => spawnSync('promtool', args, { cwd: RULES, encoding: 'utf8' });

  it('is scraped by a valid Prometheus configuration that loads these rules (compose observability profile)', () => {
    const result = run('check', 'config', 'prometheus.yml');
    expect(result.stdout + result.stderr).toMatch(/SUCCESS: 4 rules found/);
    expect(result.status).toBe(0);
  });

  it('is a valid rules file', () => {
    const result = run('check', 'rules', 'alerts.yml');
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('fires each alert on the failure it is for, and only then (alerts.test.yml)', () => {
    const result = run('test', 'rules', 'alerts.test.yml');
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});
