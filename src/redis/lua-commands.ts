import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RedisClient } from './redis-connection.factory';

/**
 * A Redis script of the service, as ioredis defines it: `numberOfKeys` undefined when the caller passes the count first
 * (a variable number of keys).
 */
export interface LuaCommand {
  name: string;
  numberOfKeys?: number;
  lua: string;
}

/** `<name>-<numberOfKeys>.lua`, or `<name>.lua` for a variable number of keys (BullMQ's layout). */
const FILE = /^([A-Za-z][A-Za-z0-9]*)(?:-(\d+))?\.lua$/;
/**
 * `--- @include "includes/name"` (relative to the including file, `.lua` implied): the file's text goes there, once per
 * script however often it is asked for.
 */
const INCLUDE = /^--- @include "([^"]+)"[ \t]*$/gm;
/** Script flags (`#!lua flags=allow-oom`) must stay the first line of what Redis receives. */
const SHEBANG = /^#!lua[^\n]*\n/;

const loaded = new Map<string, LuaCommand[]>();
const definedOn = new WeakMap<RedisClient, Set<string>>();

/** The scripts of one directory (its includes inlined), read once per process. */
export function loadLuaCommands(dir: string): LuaCommand[] {
  let commands = loaded.get(dir);
  if (!commands) {
    commands = readdirSync(dir)
      .filter((file) => file.endsWith('.lua'))
      .sort()
      .map((file) => {
        const match = FILE.exec(file);
        if (!match) throw new Error(`${join(dir, file)}: a script is named <name>-<numberOfKeys>.lua or <name>.lua`);
        const numberOfKeys = match[2] === undefined ? undefined : Number(match[2]);
        return { name: match[1], numberOfKeys, lua: withIncludes(dir, readFileSync(join(dir, file), 'utf8'), new Set()) };
      });
    loaded.set(dir, commands);
  }
  return commands;
}

/** Inlines the includes of a file of `dir`; an include met again is left out. */
function withIncludes(dir: string, text: string, included: Set<string>): string {
  const shebang = SHEBANG.exec(text)?.[0] ?? '';
  const body = text.slice(shebang.length).replace(INCLUDE, (_, path: string) => {
    const file = join(dir, `${path}.lua`);
    if (included.has(file)) return '';
    included.add(file);
    return withIncludes(dirname(file), readFileSync(file, 'utf8'), included).trimEnd();
  });
  return shebang + body;
}

/**
 * Defines one directory's scripts as commands of `client` (EVALSHA, with EVAL the first time a Redis lacks one), once per
 * client; returns it typed with them. A name that would shadow a method of the client is refused.
 */
export function withLuaCommands<Commands>(client: RedisClient, dir: string): RedisClient & Commands {
  let defined = definedOn.get(client);
  if (!defined) definedOn.set(client, (defined = new Set()));
  for (const { name, numberOfKeys, lua } of loadLuaCommands(dir)) {
    if (defined.has(name)) continue;
    if (name in client) throw new Error(`Lua command ${name} would shadow the Redis client's own ${name}`);
    client.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
    defined.add(name);
  }
  return client as RedisClient & Commands;
}
