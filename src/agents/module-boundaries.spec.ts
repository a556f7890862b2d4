import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [relative(SRC, path)] : [];
  });
const importsOf = (file: string) => [...readFileSync(join(SRC, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);

/** The import arrows this change is about, read from the source: a picture of the imports, checked. */
describe('module boundaries', () => {
  it('nothing but the app root imports the agents module', () => {
    const offenders = sources(SRC).filter(
      (file) => !file.startsWith('agents/') && file !== 'app.module.ts' && importsOf(file).some((from) => /(^|\/)agents(\/|$)/.test(from)),
    );
    expect(offenders).toEqual([]);
  });

  it('the CometChat module does not import the sandbox (the sandbox provides its own REPLY_SENDER)', () => {
    const offenders = sources(SRC).filter((file) => file.startsWith('cometchat/') && importsOf(file).some((from) => from.includes('sandbox')));
    expect(offenders).toEqual([]);
  });

  it('configuration and tracing do not import each other (the traces-wanted rule they share is in common/)', () => {
    const across = (from: string, to: string) =>
      sources(SRC).filter((file) => file.startsWith(`${from}/`) && importsOf(file).some((path) => new RegExp(`(^|/)${to}(/|$)`).test(path)));
    expect([...across('config', 'tracing'), ...across('tracing', 'config')]).toEqual([]);
  });
});
