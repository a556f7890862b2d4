import type { Job } from 'bullmq';
import { redisTopology } from '../config/app.config';
import { readEnv, REDIS_KEYS } from './cli-config';
import type { CliOutput } from './cli-output';
import { EXIT_FAILED, EXIT_OK } from './exit-codes';
import { FailedJobs, FailedJobSummary, QueueChoice, queuesOf } from './failed-jobs';

export interface ListOptions {
  queue: QueueChoice;
  limit: number;
  json?: boolean;
}

export interface ActOptions {
  queue: QueueChoice;
  all?: boolean;
}

async function withJobs(run: (jobs: FailedJobs) => Promise<number>): Promise<number> {
  const env = readEnv(REDIS_KEYS);
  const jobs = await FailedJobs.open(redisTopology(env), env.QUEUE_PREFIX);
  try {
    return await run(jobs);
  } finally {
    await jobs.close();
  }
}

const clip = (text: string, max = 100) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function describe(job: FailedJobSummary): string[] {
  const lines = [`  ${job.id}  attempts ${job.attempts}  failed ${job.finishedOn ?? '?'}`];
  if (job.message) {
    const { id, sender, conversation, text, kind } = job.message;
    const what = text !== undefined ? JSON.stringify(clip(text)) : (kind ?? '');
    lines.push(`    message ${id ?? '?'} from ${sender ?? '?'} in ${conversation ?? '?'}: ${what}`);
  }
  if (job.reply) {
    const { target, muid, text, kind } = job.reply;
    const what = text !== undefined ? JSON.stringify(clip(text)) : (kind ?? '');
    lines.push(`    reply to ${target ?? '?'} (muid ${muid ?? '?'}): ${what}`);
  }
  lines.push(`    reason: ${clip(job.failedReason.split('\n')[0], 300)}`);
  return lines;
}

export function list(options: ListOptions, out: CliOutput): Promise<number> {
  return withJobs((jobs) => listJobs(jobs, options, out));
}

async function listJobs(jobs: FailedJobs, options: ListOptions, out: CliOutput): Promise<number> {
  const names = queuesOf(options.queue);
  const found: FailedJobSummary[] = [];
  const counts: Record<string, number> = {};
  for (const name of names) {
    counts[name] = await jobs.count(name);
    found.push(...(await jobs.list(name, options.limit)));
  }
  if (options.json) {
    out.line(JSON.stringify(found, null, 2));
    return EXIT_OK;
  }
  for (const name of names) {
    const mine = found.filter((job) => job.queue === name);
    const shown = mine.length < counts[name] ? ` (showing the latest ${mine.length}; --limit for more)` : '';
    out.line(`${name}: ${counts[name]} failed${shown}`);
    for (const job of mine) describe(job).forEach((line) => out.line(line));
  }
  return EXIT_OK;
}

export function apply(id: string | undefined, options: ActOptions, out: CliOutput, action: 'retry' | 'discard'): Promise<number> {
  return withJobs((jobs) => applyTo(jobs, id, options, out, action));
}

async function applyTo(jobs: FailedJobs, id: string | undefined, options: ActOptions, out: CliOutput, action: 'retry' | 'discard'): Promise<number> {
  const run = (job: Job) => (action === 'retry' ? jobs.retry(job) : jobs.discard(job));
  const past = action === 'retry' ? 'retried' : 'discarded';

  if (id !== undefined) {
    const { queue, job } = await jobs.find(id, queuesOf(options.queue));
    await run(job);
    out.line(`${past} ${queue} job ${id}${action === 'retry' ? ': back to waiting' : ''}`);
    return EXIT_OK;
  }

  let skippedAny = false;
  for (const name of queuesOf(options.queue)) {
    const { done, skipped } = await jobs.forEachFailed(name, run);
    out.line(`${past} ${done.length} failed ${name} job${done.length === 1 ? '' : 's'}`);
    if (skipped.length > 0) {
      skippedAny = true;
      out.error(`could not ${action} ${skipped.length} ${name} job(s) (changed meanwhile?): ${skipped.join(', ')}`);
    }
  }
  return skippedAny ? EXIT_FAILED : EXIT_OK;
}
