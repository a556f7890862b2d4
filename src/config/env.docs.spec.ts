import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPOSE_ONLY_DOCS, ENV_DOCS, ENV_SECTIONS } from './env.docs';
import { renderEnvExample, renderEnvTable, spliceEnvTable, TABLE_END, TABLE_START } from './env.docs.render';
import { EnvironmentVariables } from './env.validation';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const VARIABLES = Object.keys(new EnvironmentVariables()).sort();

/** ENV_DOCS is complete by its type (Record<keyof EnvironmentVariables, …>); these check what a type cannot. */
describe('the configuration docs', () => {
  it('describe every variable of EnvironmentVariables, and nothing else, each in a known section', () => {
    expect(Object.keys(ENV_DOCS).sort()).toEqual(VARIABLES);
    for (const [name, doc] of Object.entries(ENV_DOCS)) {
      expect({ name, described: doc.description.trim().length > 10, section: doc.section in ENV_SECTIONS }).toEqual({
        name,
        described: true,
        section: true,
      });
    }
  });

  it('name every variable in .env.example and in the table of docs/configuration.md, and only those', () => {
    const known = [...VARIABLES, ...Object.keys(COMPOSE_ONLY_DOCS)].sort();
    const inExample = [...read('.env.example').matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name);
    const doc = read('docs/configuration.md');
    const table = doc.slice(doc.indexOf(TABLE_START), doc.indexOf(TABLE_END));
    const inTable = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map(([, name]) => name);
    expect(inExample.sort()).toEqual(known);
    expect(inTable.sort()).toEqual(known);
  });

  it('are what `npm run docs:env` makes of them (CI runs `npm run docs:env:check` too)', () => {
    // Neither file is one prettier formats (.prettierignore), so the rendering is the whole of what the script writes.
    const compose = read('docker-compose.yml');
    expect(read('.env.example')).toBe(renderEnvExample(compose));
    expect(read('docs/configuration.md')).toBe(spliceEnvTable(read('docs/configuration.md'), renderEnvTable(compose)));
  });

  it('show the class defaults, and a rule in words only where the class has no static default', () => {
    const example = renderEnvExample(read('docker-compose.yml'));
    expect(example).toContain('\n# PORT=3000\n');
    expect(example).toContain('\n# LLM_TIMEOUT_MS=20000\n');
    expect(example).toMatch(/\nBOT_UID=my-bot\n/);
    expect(example).toMatch(/An integer from 1 to 1000\.\n# EVENTS_CONCURRENCY=10\n/);
    const table = renderEnvTable(read('docker-compose.yml'));
    expect(table).toContain('| `LOG_FORMAT` | `json` |');
    expect(table).toContain('| `QUEUE_PREFIX` | `cometchat-bot` (`{cometchat-bot}` on a Cluster) |');
    expect(table).toContain('| `REDIS_MAXMEMORY` | `512mb` |');
    expect(table).toContain('[Logs](operations.md#logs)');
  });
});
