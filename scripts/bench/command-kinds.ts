/**
 * What each command the bench counts is for, read from a `redis-cli monitor` line: a script call is named by its
 * SHA1 (EVALSHA), matched against BullMQ's scripts and the service's own. Four kinds, so the report shows where a
 * delivered message's commands go: BullMQ's fetch loop, BullMQ's job lifecycle, the service's order and send
 * ledger, and the rest.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadLuaCommands } from '../../src/redis';

export const COMMAND_KINDS = ['fetch', 'jobs', 'order', 'other'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

export const KIND_MEANING: Record<CommandKind, string> = {
  fetch: "BullMQ's fetch loop (BZPOPMIN, moveToActive)",
  jobs: "BullMQ's job lifecycle (add, promote, park, finish)",
  order: "the service's turns and send records (its Lua, the records' deletes)",
  other: 'anything else',
};

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** BullMQ's scripts by SHA1, from the package's own script table (read here only: the service never does). */
function bullmqScripts(): Map<string, string> {
  const names = new Map<string, string>();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a tool's look at the library's script table
    const scripts = require('bullmq/dist/cjs/scripts') as Record<string, { name?: string; content?: string }>;
    for (const script of Object.values(scripts)) if (script?.name && script.content) names.set(sha1(script.content), script.name);
  } catch {
    // Another layout: their calls are then counted as 'other', and the report says so.
  }
  return names;
}

const BULLMQ = bullmqScripts();
/** The service's scripts, SHA1 and name: every directory of src holding .lua commands. */
function ourScripts(dir = join(__dirname, '../../src')): Array<[string, string]> {
  const entries = readdirSync(dir, { withFileTypes: true });
  const own = entries.some((entry) => entry.isFile() && entry.name.endsWith('.lua'))
    ? loadLuaCommands(dir).map(({ name, lua }): [string, string] => [sha1(lua), name])
    : [];
  return [
    ...own,
    ...entries.filter((entry) => entry.isDirectory() && entry.name !== 'includes').flatMap((entry) => ourScripts(join(dir, entry.name))),
  ];
}
const OURS = new Map(ourScripts());
const FETCH = new Set(['bzpopmin', 'moveToActive']);

/** True when BullMQ's scripts could be named (else their calls fall under 'other'). */
export const bullmqScriptsKnown = () => BULLMQ.size > 0;

/** The kind of the command on one `redis-cli monitor` line sent by a client (not one run inside a script). */
export function commandKind(line: string): CommandKind {
  const match = /\] "([^"]+)"(?: "([0-9a-f]{40})")?/.exec(line);
  if (!match) return 'other';
  const command = match[1].toLowerCase();
  const script = match[2];
  if (script) {
    if (OURS.has(script)) return 'order';
    const name = BULLMQ.get(script);
    if (!name) return 'other';
    return FETCH.has(name) ? 'fetch' : 'jobs';
  }
  if (FETCH.has(command)) return 'fetch';
  // The send records: read on a re-run, deleted once completed (one DEL for the completions of a window).
  if ((command === 'del' || command === 'get') && line.includes(':replies:sent:')) return 'order';
  return 'other';
}

/** The name of the service's script a `redis-cli monitor` line calls (its file's, e.g. passSendGate), if it calls one. */
export function ourScriptOf(line: string): string | undefined {
  const script = /\] "[^"]+" "([0-9a-f]{40})"/.exec(line)?.[1];
  return script === undefined ? undefined : OURS.get(script);
}
