import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisClient } from './redis-connection.factory';
import { loadLuaCommands, withLuaCommands } from './lua-commands';

const SRC = join(__dirname, '..');

/** Every directory of src holding scripts (includes/ holds fragments, not commands). */
function scriptDirs(dir = SRC): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const own = entries.some((entry) => entry.isFile() && entry.name.endsWith('.lua')) ? [dir] : [];
  return [...own, ...entries.filter((e) => e.isDirectory() && e.name !== 'includes').flatMap((e) => scriptDirs(join(dir, e.name)))];
}

describe('Lua commands', () => {
  it('gives every script of the service a header saying its keys, arguments and answer', () => {
    const dirs = scriptDirs();
    expect(dirs.length).toBeGreaterThanOrEqual(4);
    for (const dir of dirs) {
      for (const file of readdirSync(dir).filter((name) => name.endsWith('.lua'))) {
        const header = /^(?:#!lua[^\n]*\n)?--\[\[([\s\S]*?)\]\]/.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? '';
        expect({ file, input: /\bInput:/.test(header), output: /\bOutput:/.test(header) }).toEqual({ file, input: true, output: true });
      }
    }
  });

  it('loads every script of the service, its includes inlined, with distinct names', () => {
    const commands = scriptDirs().flatMap((dir) => loadLuaCommands(dir));
    expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length);
    for (const { lua } of commands) expect(lua).not.toMatch(/@include/);
  });

  describe('the loader', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lua-'));
    mkdirSync(join(dir, 'includes'));
    writeFileSync(join(dir, 'includes/base.lua'), 'local function base() return 1 end\n');
    writeFileSync(join(dir, 'includes/twice.lua'), '--- @include "base"\nlocal function twice() return base() * 2 end\n');
    writeFileSync(join(dir, 'both-2.lua'), '#!lua flags=allow-oom\n--- @include "includes/base"\n--- @include "includes/twice"\nreturn twice()\n');
    writeFileSync(join(dir, 'many.lua'), 'return #KEYS\n');

    it('takes the key count from the file name (none: the caller passes it), inlines each include once, keeps flags first', () => {
      const [both, many] = loadLuaCommands(dir);
      expect(both).toMatchObject({ name: 'both', numberOfKeys: 2 });
      expect(both.lua.startsWith('#!lua flags=allow-oom\n')).toBe(true);
      expect(both.lua.match(/local function base/g)).toHaveLength(1);
      expect(both.lua.indexOf('function base')).toBeLessThan(both.lua.indexOf('function twice'));
      expect(many).toMatchObject({ name: 'many', numberOfKeys: undefined });
    });

    it('defines each command once per client, and refuses a name the client has already', () => {
      const defineCommand = jest.fn();
      const client = { defineCommand } as unknown as RedisClient;
      withLuaCommands(client, dir);
      withLuaCommands(client, dir);
      expect(defineCommand.mock.calls.map(([name, options]) => [name, options.numberOfKeys])).toEqual([
        ['both', 2],
        ['many', undefined],
      ]);
      const other = mkdtempSync(join(tmpdir(), 'lua-'));
      writeFileSync(join(other, 'get-1.lua'), 'return 1\n');
      expect(() => withLuaCommands({ defineCommand, get: () => undefined } as unknown as RedisClient, other)).toThrow(/shadow/);
    });
  });
});
