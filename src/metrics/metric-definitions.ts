import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric the service exports is named under this prefix, Node's process metrics included. */
export const METRIC_PREFIX = 'cometchat_bot_';

type Kind = 'counter' | 'gauge' | 'histogram';

interface Definition<K extends Kind, Label extends string> {
  kind: K;
  /** Without the prefix. */
  name: string;
  help: string;
  labelNames: readonly Label[];
  buckets?: readonly number[];
}

const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Definition<'counter', L> => ({
  kind: 'counter',
  name,
  help,
  labelNames,
});
const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Definition<'gauge', L> => ({
  kind: 'gauge',
  name,
  help,
  labelNames,
});
const histogram = <L extends string = never>(
  name: string,
  help: string,
  buckets: readonly number[],
  labelNames: readonly L[] = [],
): Definition<'histogram', L> => ({ kind: 'histogram', name, help, labelNames, buckets });

/** What a webhook request came to: the three 200 answers, and every other answer (4xx, 5xx). */
export type WebhookOutcome = 'accepted' | 'duplicate' | 'ignored' | 'refused';
/** What one run of a job came to: `retried` runs again later, `failed` is kept in the failed set. */
export type JobOutcome = 'completed' | 'retried' | 'failed';
export const JOB_OUTCOMES: readonly JobOutcome[] = ['completed', 'retried', 'failed'];
/**
 * The `bot` label of a metric counted per message or per send: the UID of a bot this deployment serves, or NO_BOT for
 * what names none of them (a webhook request to a path no bot is served at, a job of a bot no longer served). Never a
 * value taken from a request as it came, so the label has at most one value per configured bot, and one more.
 */
export const NO_BOT = '';
/** The `bot` label of a served bot (undefined: none), see NO_BOT. */
export const botLabel = (bot: { uid: string } | undefined): string => bot?.uid ?? NO_BOT;

/** The states a queue's depth is reported in. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** What CometChat answered: a status class, 429 apart from the other 4xx, or no answer at all. */
export type CometChatCallClass = '2xx' | '3xx' | '4xx' | '429' | '5xx' | 'network';
export const COMETCHAT_CALL_CLASSES: readonly CometChatCallClass[] = ['2xx', '3xx', '4xx', '429', '5xx', 'network'];
/** What gave a handed-off conversation back to the bot. */
export type HandoffResumedBy = 'user' | 'cli' | 'timeout';
/** How one model call of the LLM responder ended: `aborted` by the responder timeout or the caller. */
export type LlmCallOutcome = 'ok' | 'error' | 'aborted';

/**
 * The service's metrics, declared once: the registry is built from this table, and docs/operations.md lists each one
 * (a spec checks it does). A new metric is one entry here and the line that records it.
 */
export const METRICS = {
  webhookRequests: counter(
    'webhook_requests_total',
    'Webhook requests answered, by bot, HTTP status and outcome (accepted, duplicate, ignored, refused)',
    ['bot', 'status', 'outcome'],
  ),
  webhookDuration: histogram(
    'webhook_request_duration_seconds',
    'Time from a webhook request arriving to its answer being sent, by bot and outcome',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ['bot', 'outcome'],
  ),
  jobs: counter('jobs_total', 'Job runs that ended, by bot, queue and outcome (completed, retried, failed for good)', ['bot', 'queue', 'outcome']),
  queueJobs: gauge('queue_jobs', 'Jobs in the queue, by state (waiting, active, delayed, failed), read at scrape time', ['queue', 'state']),
  queueOldestWaitingAge: gauge(
    'queue_oldest_waiting_age_seconds',
    'Age of the job next in line in the waiting list (since it was stored), 0 when none waits',
    ['queue'],
  ),
  queueStatsUp: gauge('queue_stats_up', "1 when this scrape read the queue's figures from Redis, 0 when it could not", ['queue']),
  turnDuration: histogram(
    'turn_duration_seconds',
    'Duration of a completed turn (the events job run that took the turn and ran the responders), by bot and responder',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ['bot', 'responder'],
  ),
  replyLatency: histogram(
    'reply_latency_seconds',
    'Time from the callback being stored to CometChat confirming the reply, by bot',
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    ['bot'],
  ),
  firstVisible: histogram(
    'first_visible_seconds',
    "Time from the callback being stored to the turn's first reply (or a streamed answer's first part) being confirmed, by bot",
    [0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300],
    ['bot'],
  ),
  progressPosts: counter('progress_posts_total', 'Streamed answers posted before they were finished (PROGRESS_AFTER_MS), by bot', ['bot']),
  streamEdits: counter(
    'stream_edits_total',
    'Edits of streamed answers: sent, or skipped (a newer text joined an edit still waiting, under the send budget or a 429), by bot',
    ['bot', 'outcome'],
  ),
  stops: counter('stops_total', 'Turns ended by /stop (their responder aborted; a streamed answer shown ends with "(stopped)"), by bot', ['bot']),
  // A gauge read from Redis at scrape: a removed reaction takes its count back, and every process reports the same tally.
  feedback: gauge(
    'feedback_total',
    "👍 (`up`) and 👎 (`down`) on the bot's answers, net of those removed, by bot and the responder that answered; the same figure from every process (max() it)",
    ['bot', 'responder', 'reaction'],
  ),
  appEvents: counter(
    'app_events_total',
    'App webhook events (POST /webhooks/cometchat/events) by trigger (the four taken, else `other`) and outcome (accepted, duplicate, ignored, refused)',
    ['trigger', 'outcome'],
  ),
  handoffs: counter('handoffs_total', "Conversations handed to people (/human, or the LLM's handoff tool), by bot", ['bot']),
  handedOffConversations: gauge(
    'handed_off_conversations',
    'Conversations handed to people now (the bot silent in them), read from Redis at scrape time, by bot',
    ['bot'],
  ),
  handoffResume: histogram(
    'handoff_resume_seconds',
    'Time a conversation was with people before the bot took it back, by bot and by what brought it back (user: /bot, cli, timeout)',
    [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800],
    ['bot', 'by'],
  ),
  cometchatRequests: counter(
    'cometchat_requests_total',
    'Calls to the CometChat REST API, by bot and answer: 2xx, 3xx, 4xx (429 apart), 429, 5xx, network',
    ['bot', 'class'],
  ),
  rateLimitPause: gauge(
    'queue_rate_limit_pause_seconds',
    'Time left of the queue-wide pause of a rate-limited queue (replies: a 429, a spent quota, the per-minute cap), 0 while it runs',
    ['queue'],
  ),
  llmTokens: counter('llm_tokens_total', 'Tokens the LLM responder used, by bot and kind (input, output), as the model reported them', [
    'bot',
    'kind',
  ]),
  llmCallDuration: histogram(
    'llm_call_duration_seconds',
    'Duration of one model call of the LLM responder (one step; a tool round trip is two), by bot and outcome (ok, error, aborted)',
    [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
    ['bot', 'outcome'],
  ),
  llmBudgetRefusals: counter(
    'llm_budget_refusals_total',
    "Messages answered with LLM_LIMIT_TEXT because the sender's daily token budget was spent, by bot",
    ['bot'],
  ),
} as const;

type Built<D> =
  D extends Definition<'counter', infer L>
    ? Counter<L>
    : D extends Definition<'gauge', infer L>
      ? Gauge<L>
      : D extends Definition<'histogram', infer L>
        ? Histogram<L>
        : never;

export type Metrics = { [K in keyof typeof METRICS]: Built<(typeof METRICS)[K]> };

/** Full names, as scraped. */
export const metricName = (definition: { name: string }) => `${METRIC_PREFIX}${definition.name}`;

/** The table's metrics, registered on `registry`. */
export function registerMetrics(registry: Registry): Metrics {
  const build = (definition: Definition<Kind, string>) => {
    const config = { name: metricName(definition), help: definition.help, labelNames: definition.labelNames, registers: [registry] };
    switch (definition.kind) {
      case 'counter':
        return new Counter(config);
      case 'gauge':
        return new Gauge(config);
      case 'histogram':
        return new Histogram({ ...config, buckets: [...definition.buckets!] });
    }
  };
  return Object.fromEntries(Object.entries(METRICS).map(([key, definition]) => [key, build(definition)])) as unknown as Metrics;
}
