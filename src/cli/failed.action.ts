import type { Job } from 'bullmq';
import { redisTopology } from '../config/app.config';
import { botNamed } from './cli-bots';
import { readBots, readEnv, REDIS_KEYS } from './cli-config';
import type { CliOutput } from './cli-output';
import { CliError, EXIT_FAILED, EXIT_OK } from './exit-codes';
import { FailedJobs, FailedJobSummary, JobFilter, jobBot, QueueChoice, queuesOf } from './failed-jobs';

export interface ListOptions {
  queue: QueueChoice;
  limit: number;
  json?: boolean;
  /** Only this bot's jobs, by uid (any case). */
  bot?: string;
}

export interface ActOptions {
  queue: QueueChoice;
  all?: boolean;
  bot?: string;
}

/** The jobs of --bot's bot; undefined (every job) without --bot or with one bot, whose every job is. */
interface BotScope {
  uid: string;
  filter: JobFilter;
}

function scopeOf(wanted: string | undefined): BotScope | undefined {
  if (wanted === undefined) return undefined;
  // Which bots there are is read as the service reads them (BOTS_FILE, or BOT_UID), so an unknown --bot is refused.
  const { bots } = readBots(['BOT_UID']);
  const { uid } = botNamed(bots, wanted);
  if (bots.length === 1) return undefined;
  return { uid, filter: (queue, job) => jobBot(queue, job.data) === uid };
}

async function withJobs(wanted: string | undefined, run: (jobs: FailedJobs, scope: BotScope | undefined) => Promise<number>): Promise<number> {
  const env = readEnv(REDIS_KEYS);
  const scope = scopeOf(wanted);
  const jobs = await FailedJobs.open(redisTopology(env), env.QUEUE_PREFIX);
  try {
    return await run(jobs, scope);
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
  return withJobs(options.bot, (jobs, scope) => listJobs(jobs, scope, options, out));
}

async function listJobs(jobs: FailedJobs, scope: BotScope | undefined, options: ListOptions, out: CliOutput): Promise<number> {
  const names = queuesOf(options.queue);
  const found: FailedJobSummary[] = [];
  const counts: Record<string, number> = {};
  for (const name of names) {
    if (scope) {
      const mine = await jobs.listMatching(name, options.limit, scope.filter);
      counts[name] = mine.count;
      found.push(...mine.jobs);
      continue;
    }
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
    out.line(`${name}: ${counts[name]} failed${scope ? ` for bot ${scope.uid}` : ''}${shown}`);
    for (const job of mine) describe(job).forEach((line) => out.line(line));
  }
  return EXIT_OK;
}

export function apply(id: string | undefined, options: ActOptions, out: CliOutput, action: 'retry' | 'discard'): Promise<number> {
  return withJobs(options.bot, (jobs, scope) => applyTo(jobs, scope, id, options, out, action));
}

async function applyTo(
  jobs: FailedJobs,
  scope: BotScope | undefined,
  id: string | undefined,
  options: ActOptions,
  out: CliOutput,
  action: 'retry' | 'discard',
): Promise<number> {
  const run = (job: Job) => (action === 'retry' ? jobs.retry(job) : jobs.discard(job));
  const past = action === 'retry' ? 'retried' : 'discarded';

  if (id !== undefined) {
    const { queue, job } = await jobs.find(id, queuesOf(options.queue));
    if (scope && !scope.filter(queue, job)) {
      throw new CliError(`job ${id} in ${queue} is not bot ${scope.uid}'s (see \`failed list --bot ${scope.uid}\`)`);
    }
    await run(job);
    out.line(`${past} ${queue} job ${id}${action === 'retry' ? ': back to waiting' : ''}`);
    return EXIT_OK;
  }

  let skippedAny = false;
  for (const name of queuesOf(options.queue)) {
    const { done, skipped } = await jobs.forEachFailed(name, run, scope?.filter);
    out.line(`${past} ${done.length} failed ${name} job${done.length === 1 ? '' : 's'}${scope ? ` of bot ${scope.uid}` : ''}`);
    if (skipped.length > 0) {
      skippedAny = true;
      out.error(`could not ${action} ${skipped.length} ${name} job(s) (changed meanwhile?): ${skipped.join(', ')}`);
    }
  }
  return skippedAny ? EXIT_FAILED : EXIT_OK;
}
