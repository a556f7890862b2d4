/**
 * `npm run docs:env`: writes docs/configuration.md's variable table (between its env-table markers) and .env.example
 * from src/config/env.docs.ts. `npm run docs:env -- --check` writes nothing and exits 1 naming each file that differs
 * from what it would write (CI runs it). Output prettier would format (none today: it ignores *.md and .env files)
 * is formatted as `npm run format` would.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { renderEnvExample, renderEnvTable, spliceEnvTable } from '../src/config/env.docs.render';

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

async function formatted(path: string, text: string): Promise<string> {
  const file = join(ROOT, path);
  const info = await prettier.getFileInfo(file, { ignorePath: join(ROOT, '.prettierignore') });
  if (info.ignored || !info.inferredParser) return text;
  return prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
}

async function generated(): Promise<Array<{ path: string; text: string }>> {
  const compose = read('docker-compose.yml');
  const inFile = (path: string, make: () => string) => {
    try {
      return { path, text: make() };
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`);
    }
  };
  const files = [
    inFile('docs/configuration.md', () => spliceEnvTable(read('docs/configuration.md'), renderEnvTable(compose))),
    inFile('.env.example', () => renderEnvExample(compose)),
  ];
  return Promise.all(files.map(async ({ path, text }) => ({ path, text: await formatted(path, text) })));
}

async function main(check: boolean): Promise<void> {
  const files = await generated();
  const stale = files.filter(({ path, text }) => !existsSync(join(ROOT, path)) || read(path) !== text);
  if (check) {
    if (stale.length === 0) return void console.log(`docs:env: ${files.map((f) => f.path).join(' and ')} are up to date`);
    console.error(`docs:env: ${stale.map((f) => f.path).join(' and ')} ${stale.length > 1 ? 'are' : 'is'} stale: run npm run docs:env`);
    process.exitCode = 1;
    return;
  }
  for (const { path, text } of stale) writeFileSync(join(ROOT, path), text);
  console.log(stale.length ? `docs:env: wrote ${stale.map((f) => f.path).join(' and ')}` : 'docs:env: nothing to write');
}

main(process.argv.includes('--check')).catch((error: Error) => {
  console.error(`docs:env: ${error.message}`);
  process.exitCode = 1;
});
