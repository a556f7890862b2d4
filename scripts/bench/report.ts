/** Small helpers the bench's reports share. */
import type Redis from 'ioredis';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The checkout's root (the bench runs from scripts/ under ts-node, or compiled from dist-bench/scripts/). */
export const REPO_ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'tsconfig.bench.json')) === false) dir = dirname(dir);
  return dir;
})();

export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** What a key under the bench's prefix is, for the memory breakdown (job ids and message ids folded away). */
const kindOf = (key: string) =>
  key
    .replace(/^[^:]+:/, '')
    .replace(/:(evt|reply)-[^:]+/, ':<job>')
    .replace(/:de:[^:]+$/, ':de:<message>')
    .replace(/:(line|turn|state):[^:]+$/, ':$1:<conversation>');

/** The bytes Redis holds for a prefix (MEMORY USAGE of every key under it), in all and by kind of key. */
export async function bytesUnder(redis: Redis, prefix: string): Promise<{ total: number; byKind: Map<string, number> }> {
  const byKind = new Map<string, number>();
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    const sizes = await Promise.all(keys.map((key) => redis.memory('USAGE', key, 'SAMPLES', '0')));
    keys.forEach((key, i) => {
      const bytes = Number(sizes[i]) || 0;
      total += bytes;
      byKind.set(kindOf(key), (byKind.get(kindOf(key)) ?? 0) + bytes);
    });
    cursor = next;
  } while (cursor !== '0');
  return { total, byKind };
}

/** Redis's own CPU time so far, in µs (user and system, from INFO cpu): per message, a figure that noise does not move much. */
export async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(info.match(new RegExp(`${name}:([\\d.]+)`))![1]);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}
