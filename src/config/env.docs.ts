import { defaultQueuePrefix, EnvironmentVariables, resolveDefaults, SANDBOX_WEBHOOK_PASSWORD } from './env.validation';

/**
 * What each environment variable means, beside its rule in env.validation.ts: one record keyed by the class's
 * properties, so the compiler refuses a variable without its entry. docs/configuration.md's table and .env.example
 * are generated from it (`npm run docs:env`; CI fails when they are stale). Defaults are not written here: they are
 * the class's initialisers. Ranges and lengths are not either: they are read from its rules.
 */
export interface EnvDoc {
  section: EnvSection;
  /**
   * What it does, briefly. Markdown: `code`, and links relative to the repository's root, e.g.
   * [Logs](docs/operations.md#logs) (made relative to docs/ in the table, and plain text in .env.example).
   */
  description: string;
  /**
   * Only for a variable the class gives no initialiser: what holds when it is unset ("required", a rule, "unset
   * (no dashboard)"). A static default is the initialiser's, never written twice.
   */
  unset?: string;
  /** The value .env.example shows, when it is not the default. */
  example?: string;
  /** .env.example sets it (to `example`) rather than showing it commented out: a value to fill in. */
  set?: true;
}

/** The sections of the table and of .env.example, in their order. `intro` is Markdown, as descriptions are. */
export const ENV_SECTIONS = {
  required: {
    title: 'Required',
    intro:
      "In sandbox mode the three CometChat credentials may be left out. With `BOTS_FILE` the bots are the file's, and none of these is set unless the file reads it as a `${VAR}`.",
  },
  bots: {
    title: 'Bots file',
    intro: 'Several bots in one deployment, instead of the single-bot variables above: see [Several bots](docs/configuration.md#several-bots).',
  },
  service: { title: 'HTTP, Redis and logs' },
  traces: {
    title: 'Traces',
    intro: "OpenTelemetry's own variables, read by its SDK at start; see [Traces](docs/operations.md#traces). No endpoint: no tracing at all.",
  },
  sandbox: { title: 'Sandbox', intro: 'See [Try it in a minute](README.md#try-it-in-a-minute).' },
  dashboard: { title: 'Queue dashboard', intro: 'See [Queue dashboard](docs/operations.md#queue-dashboard).' },
  agent: { title: 'AI Agent (AG-UI) endpoint', intro: 'See [CometChat AI Agent (AG-UI)](docs/ai-and-agents.md#cometchat-ai-agent-ag-ui).' },
  delivery: { title: 'Webhook, CometChat calls and queues' },
  responders: { title: 'Responders', intro: 'See [Writing a responder](docs/responders.md).' },
  events: {
    title: 'Edits, deletes, reactions and handoff',
    intro: "CometChat's app webhooks and handing a conversation to people; see [App webhooks](docs/app-webhooks.md).",
  },
  llm: {
    title: 'The LLM responder',
    intro: 'On when `LLM_MODEL` is set; see [An AI bot in five minutes](README.md#an-ai-bot-in-five-minutes).',
  },
  compose: {
    title: 'docker compose only',
    intro: "Read by docker-compose.yml for its own services, not by the service; the defaults are docker-compose.yml's.",
  },
} satisfies Record<string, { title: string; intro?: string }>;
export type EnvSection = keyof typeof ENV_SECTIONS;

/** The defaults that depend on other variables, as validateEnv fills them in when nothing is set. */
const resolved = new EnvironmentVariables();
resolveDefaults(resolved);

export const ENV_DOCS: Record<keyof EnvironmentVariables, EnvDoc> = {
  BOT_UID: {
    section: 'required',
    description: "The bot's CometChat UID. CometChat lowercases UIDs; so does the service.",
    unset: 'required without `BOTS_FILE`',
    example: 'my-bot',
    set: true,
  },
  WEBHOOK_USERNAME: {
    section: 'required',
    description: 'Basic Auth username CometChat sends with each callback; no `:`.',
    unset: 'required without `BOTS_FILE`',
    example: 'cometchat',
    set: true,
  },
  WEBHOOK_PASSWORD: {
    section: 'required',
    description: `Basic Auth password CometChat sends with each callback. \`${SANDBOX_WEBHOOK_PASSWORD}\`, docker compose's development-only default, is refused in live mode.`,
    unset: 'required without `BOTS_FILE`',
    example: 'change-me-to-a-long-random-string',
    set: true,
  },
  EVENTS_WEBHOOK_USERNAME: {
    section: 'events',
    description:
      'Basic Auth username of the app webhook CometChat posts edits, deletes and reactions with (`POST /webhooks/cometchat/events`); no `:`.',
    unset: '`WEBHOOK_USERNAME`',
    example: 'cometchat-events',
  },
  EVENTS_WEBHOOK_PASSWORD: {
    section: 'events',
    description: "Basic Auth password of that app webhook (CometChat's limit: 100 characters).",
    unset: '`WEBHOOK_PASSWORD`',
    example: 'another-long-random-string',
  },
  ANSWER_EDITED_MESSAGES: {
    section: 'events',
    description: 'A message the bot answered that its sender edits is answered again (a responder sees `kind: edited`).',
  },
  DELETE_ANSWERS_OF_DELETED_MESSAGES: {
    section: 'events',
    description: "A message the bot answered that is deleted gets the bot's answer deleted too.",
  },
  COUNT_FEEDBACK: {
    section: 'events',
    description: "A 👍 or 👎 on a bot's answer counts in `cometchat_bot_feedback_total` (taken back when removed).",
  },
  HANDOFF_TEXT: {
    section: 'events',
    description:
      "What `/human` (and the LLM's `handoff` tool) answers as the bot steps aside; say that `/bot` brings the bot back. See [Handing a conversation to people](docs/handoff.md).",
  },
  HANDOFF_NOTIFY: {
    section: 'events',
    description:
      "Where a handed-off conversation's transcript is posted, by the bot: `group:<guid>` (the team's group) or `user:<uid>`. Set, the LLM gets a `handoff` tool and each conversation's last lines are kept for the transcript.",
    unset: 'unset (no transcript, no `handoff` tool; `/human` still hands off)',
    example: 'group:support-team',
  },
  HANDOFF_TIMEOUT_MS: {
    section: 'events',
    description: 'A handed-off conversation goes back to the bot after this long (ms) unless `/bot` or `cli handoff resume` brings it back sooner.',
  },
  COMETCHAT_APP_ID: {
    section: 'required',
    description: "The CometChat app's ID (Dashboard > API & Auth Keys).",
    unset: 'required in live mode; `sandbox` in sandbox mode',
    example: 'your-app-id',
    set: true,
  },
  COMETCHAT_REGION: {
    section: 'required',
    description: "The CometChat app's region.",
    unset: 'required in live mode; `us` in sandbox mode',
    example: 'us',
    set: true,
  },
  COMETCHAT_API_KEY: {
    section: 'required',
    description: 'CometChat REST API key, allowed to send bot messages. Empty: sandbox mode (unless `COMETCHAT_MODE=live`).',
    unset: 'required in live mode; empty in sandbox mode',
    example: 'your-rest-api-key',
    set: true,
  },

  BOTS_FILE: {
    section: 'bots',
    description:
      "A YAML file (JSON when its name ends in `.json`) of the CometChat apps and the bots this deployment serves; a `${VAR}` in it is read from the environment. Read and checked at boot. With it, `BOT_UID`, `WEBHOOK_USERNAME`, `WEBHOOK_PASSWORD`, `COMETCHAT_APP_ID`, `COMETCHAT_REGION`, `COMETCHAT_API_KEY`, `COMETCHAT_API_URL` and `AGENT_TOKEN` are not set, and `GROUP_CHAT_SETTING` is the default of each bot's `groupChatSetting`. Each bot is served as itself: see [Several bots](docs/configuration.md#several-bots).",
    unset: 'unset (one bot, of the variables above)',
    example: 'bots.yaml',
  },

  PORT: {
    section: 'service',
    description: "HTTP port the service listens on (docker compose maps this host port to the container's `3000`).",
  },
  HOST: { section: 'service', description: 'HTTP bind address.' },
  REDIS_URL: {
    section: 'service',
    description: 'Redis, one node (`rediss://` for TLS). docker compose sets `redis://redis:6379`.',
  },
  QUEUE_PREFIX: {
    section: 'service',
    description: "Prefix of every Redis key of the service, BullMQ's included; no `:` or spaces. On Redis Cluster it must hold a `{hash tag}`.",
    unset: `\`${defaultQueuePrefix({})}\` (\`${defaultQueuePrefix({ REDIS_CLUSTER_NODES: 'set' })}\` on a Cluster)`,
    example: resolved.QUEUE_PREFIX,
  },
  REDIS_SENTINELS: {
    section: 'service',
    description: 'Redis through Sentinel instead of `REDIS_URL`: the sentinels, `host:port,host:port`.',
    unset: 'unset',
    example: 'sentinel-1:26379,sentinel-2:26379',
  },
  REDIS_SENTINEL_NAME: {
    section: 'service',
    description: "The master's name the sentinels know; required with `REDIS_SENTINELS`.",
    unset: 'unset',
    example: 'mymaster',
  },
  REDIS_CLUSTER_NODES: {
    section: 'service',
    description: 'Redis Cluster instead of `REDIS_URL`: some of its nodes, `host:port,host:port`.',
    unset: 'unset',
    example: 'redis-1:6379,redis-2:6379,redis-3:6379',
  },
  REDIS_USERNAME: {
    section: 'service',
    description: 'Username on the Sentinel-managed or Cluster nodes (a `REDIS_URL` carries its own: `redis://user:password@host:port`).',
    unset: 'unset',
  },
  REDIS_PASSWORD: { section: 'service', description: 'Password on the Sentinel-managed or Cluster nodes.', unset: 'unset' },
  REDIS_WAIT_REPLICAS: {
    section: 'service',
    description:
      "Replicas that must have a stored message before the webhook answers `200`, and a reply's send record before the send counts as recorded (Redis `WAIT`, 200 ms at most, one per batch of callbacks). A master that dies meanwhile fails the `WAIT`: the callback is answered `503` (CometChat redelivers), the record is written again on the new master. Short of replicas, writes go on without `WAIT` for 10 s at a time, with a warning. Set `1` with a `REDIS_URL` whose Redis fails over to a replica (a managed Redis behind one name).",
    unset: '`1` on Sentinel or Cluster, `0` with `REDIS_URL`',
    example: '1',
  },
  APP_ROLE: {
    section: 'service',
    description: '`api`: HTTP and enqueue only; `worker`: the processors only, no webhook; `all`: both.',
  },
  LOG_LEVEL: { section: 'service', description: 'The least severe level logged.' },
  LOG_FORMAT: {
    section: 'service',
    description: '`json`: one object a line on stdout, for log pipelines; `pretty`: for a person at a terminal. See [Logs](docs/operations.md#logs).',
  },

  OTEL_EXPORTER_OTLP_ENDPOINT: {
    section: 'traces',
    description:
      "The OTLP collector's base URL, e.g. `http://collector:4318` (compose's observability profile: `http://jaeger:4318`); set, traces are exported.",
    unset: 'unset (no tracing)',
    example: 'http://localhost:4318',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    section: 'traces',
    description: "Or the traces' URL alone, full path included (`…/v1/traces`).",
    unset: 'unset',
    example: 'http://localhost:4318/v1/traces',
  },
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    section: 'traces',
    description: "How spans are encoded, for every signal (`grpc` wants the collector's 4317).",
    unset: "`http/protobuf` (the SDK's default)",
    example: 'http/protobuf',
  },
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: {
    section: 'traces',
    description: 'The same, for traces alone.',
    unset: 'as `OTEL_EXPORTER_OTLP_PROTOCOL`',
    example: 'http/protobuf',
  },
  OTEL_SERVICE_NAME: {
    section: 'traces',
    description: "The service's name in the traces.",
    unset: '`cometchat-bot-service`',
    example: 'cometchat-bot-service',
  },
  OTEL_SDK_DISABLED: { section: 'traces', description: '`true`: no tracing, even with an endpoint set.' },

  COMETCHAT_MODE: {
    section: 'sandbox',
    description:
      '`live`: replies go to CometChat. `sandbox`: replies go to a local outbox in Redis, nothing reaches CometChat, and `GET /sandbox` serves a chat page. `live` without an API key is a configuration error.',
    unset: '`sandbox` if `COMETCHAT_API_KEY` is empty, else `live`',
    example: '',
  },
  SANDBOX_UI: {
    section: 'sandbox',
    description:
      '`true`: also serve the chat page (`GET /sandbox`) in live mode. It is always served in sandbox mode, never by `APP_ROLE=worker`. On a live bot, anyone who reaches the page can post messages as any user through the webhook, and the bot answers them in CometChat: use it only on a trusted network.',
  },
  SANDBOX_OUTBOX_SIZE: { section: 'sandbox', description: 'How many replies the sandbox outbox keeps; older ones are dropped.' },

  ADMIN_USERNAME: {
    section: 'dashboard',
    description:
      "Basic Auth username of the queue dashboard at `/admin/queues` (Bull Board over the events and replies queues); not the webhook's; no `:`. Set both, or neither: unset, `/admin/queues` answers `404`.",
    unset: 'unset (no dashboard)',
    example: 'ops',
  },
  ADMIN_PASSWORD: {
    section: 'dashboard',
    description: "The dashboard's password. Basic Auth sends it in the clear: serve the dashboard over TLS or on a trusted network only.",
    unset: 'unset (no dashboard)',
    example: 'change-me-to-another-long-random-string',
  },

  AGENT_TOKEN: {
    section: 'agent',
    description:
      'Bearer token of `POST /agents/ag-ui`, CometChat\'s AI Agent path: register `https://<host>/agents/ag-ui` as the agent\'s deployment URL with the header `{"Authorization": "Bearer <this>"}`. At least 16 printable characters, no spaces. With `BOTS_FILE`, each bot\'s `agentToken` opens `POST /agents/ag-ui/{botUid}` instead.',
    unset: 'unset (no endpoint: `404`)',
    example: 'change-me-to-a-long-random-string',
  },
  AGENT_HEARTBEAT_MS: {
    section: 'agent',
    description: 'How often (ms) an AG-UI stream gets a `: ping` comment line, so proxies keep it open while a responder thinks.',
  },

  WEBHOOK_BODY_LIMIT: { section: 'delivery', description: 'Largest callback body, in bytes (`413` above).' },
  WEBHOOK_ENQUEUE_TIMEOUT_MS: {
    section: 'delivery',
    description: 'How long (ms) the webhook waits for Redis to store a message before answering `503`.',
  },
  COMETCHAT_API_URL: {
    section: 'delivery',
    description: 'Base URL of the CometChat REST API, to override (tests, proxies).',
    unset: '`https://{appId}.api-{region}.cometchat.io/v3`',
    example: 'https://your-app-id.api-us.cometchat.io/v3',
  },
  COMETCHAT_TIMEOUT_MS: { section: 'delivery', description: 'Timeout (ms) of one CometChat REST call.' },
  COMETCHAT_MAX_REQUESTS_PER_MINUTE: {
    section: 'delivery',
    description:
      "Sends to CometChat per minute, across every process: your plan's limit (CometChat documents 20,000 standard requests a minute, 500 on the free plan).",
    unset: 'unset (no cap)',
  },
  EVENTS_CONCURRENCY: { section: 'delivery', description: 'Jobs of the events queue (the responders) run at once, per process.' },
  REPLIES_CONCURRENCY: { section: 'delivery', description: 'Jobs of the replies queue (sends to CometChat) run at once, per process.' },
  EVENTS_ATTEMPTS: { section: 'delivery', description: 'Attempts of a turn (the responders) before its event is kept as failed.' },
  REPLIES_RETRY_BUDGET_MS: {
    section: 'delivery',
    description:
      "How long (ms; 30 minutes by default) a reply is retried while CometChat fails (5xx, timeouts, refused connections) before it is kept as failed, from its first failure to CometChat's latest (a reply held through a breaker window in which CometChat came back is not failed for that window). A 4xx fails at once.",
  },
  RETRY_BACKOFF_MS: {
    section: 'delivery',
    description: 'First retry delay (ms); it doubles each retry, with jitter, up to `RETRY_BACKOFF_MAX_MS`.',
  },
  RETRY_BACKOFF_MAX_MS: {
    section: 'delivery',
    description: "Ceiling of the retry delay (ms); also the longest pause of CometChat's circuit breaker.",
  },
  JOB_LOCK_MS: {
    section: 'delivery',
    description:
      "A job's lock (ms). Half of it is the recovery check: how often stalled jobs are looked for (a job whose process died runs again within 1.5 locks: 30 s by default) and how long a parked job sleeps before it looks at its line by itself, should a hand-off be lost to a crash. See [the glossary](docs/architecture.md#glossary).",
  },
  SHUTDOWN_GRACE_MS: {
    section: 'delivery',
    description: 'How long (ms) shutdown waits for jobs in flight (unfinished ones run again once their lock lapses).',
  },

  GROUP_CHAT_SETTING: {
    section: 'responders',
    description:
      'Which group messages are answered: `mentionedMessages` (those that mention the bot), `slashedMessages` (those that start with `/`), `allMessages` or `none`.',
  },
  RESPONDER_TIMEOUT_MS: { section: 'responders', description: 'Time (ms) a responder gets before its turn fails for good.' },
  ECHO_ENABLED: { section: 'responders', description: 'The built-in echo answers the text nothing else answers.' },
  REPLY_IN_THREAD: { section: 'responders', description: 'Answer a message inside a thread in that thread (progress edits included).' },
  PROGRESS_AFTER_MS: {
    section: 'responders',
    description:
      'A streamed answer (the LLM responder, or any responder returning an async iterable) not finished by then (ms) is posted as it stands and filled in by edits; `0`: never, the answer is posted once whole.',
  },
  PROGRESS_TEXT: { section: 'responders', description: 'Posted at `PROGRESS_AFTER_MS` when the answer has no text yet.' },
  STREAM_EDIT_INTERVAL_MS: {
    section: 'responders',
    description:
      "At most one edit of a streamed answer in this time (ms); each edit spends one of the bot's sends. The last edit holds the whole answer.",
  },
  FALLBACK_TEXT: {
    section: 'responders',
    description: 'Said when no responder answers.',
    unset: 'unset (silence)',
    example: "Sorry, I didn't get that. Try /help.",
  },
  APOLOGY_TEXT: {
    section: 'responders',
    description: 'Said after a turn failed for good.',
    unset: 'unset (silence)',
    example: 'Sorry, something went wrong on my side. Please try again later.',
  },
  CONVERSATION_STATE_TTL_SECONDS: { section: 'responders', description: 'How long (s) conversation state lives after its last write.' },
  FAQ_FILE: {
    section: 'responders',
    description: 'JSON file of the example FAQ responder: `[{"keywords": ["hours"], "answer": "..."}]`.',
    unset: 'unset',
    example: 'faq.json',
  },

  LLM_MODEL: {
    section: 'llm',
    description: "The model's name at the endpoint, e.g. `gpt-4o-mini`, or `llama3.2` on Ollama; set, the LLM responder is on.",
    unset: 'unset (no LLM responder)',
    example: 'gpt-4o-mini',
  },
  LLM_BASE_URL: {
    section: 'llm',
    description: 'Any OpenAI-compatible chat completions endpoint (OpenAI, a gateway, Ollama `http://localhost:11434/v1`, vLLM, …).',
  },
  LLM_API_KEY: {
    section: 'llm',
    description: 'Sent as `Authorization: Bearer <key>`; unset, no such header (local servers).',
    unset: 'unset',
  },
  LLM_SYSTEM_PROMPT: {
    section: 'llm',
    description: 'The system prompt, inline; or `LLM_SYSTEM_PROMPT_FILE`, not both.',
    unset: 'a short, plain-answers prompt',
    example: "You are Acme's support assistant. Answer briefly.",
  },
  LLM_SYSTEM_PROMPT_FILE: {
    section: 'llm',
    description: 'A file the system prompt is read from at boot.',
    unset: 'unset',
    example: 'prompt.txt',
  },
  LLM_HISTORY_TURNS: {
    section: 'llm',
    description: 'Earlier exchanges (a user message and its answer) sent with each call, kept in conversation state.',
  },
  LLM_HISTORY_MAX_TOKENS: {
    section: 'llm',
    description: 'Cap on that history, in tokens estimated as characters / 4; the oldest exchanges go first.',
  },
  LLM_MAX_STEPS: { section: 'llm', description: 'Model calls per turn, tool round trips included.' },
  LLM_MAX_OUTPUT_TOKENS: { section: 'llm', description: 'Tokens the model may write per call.' },
  LLM_DAILY_TOKENS_PER_USER: {
    section: 'llm',
    description:
      'Tokens (input and output, as the model reports them) each user may spend per UTC day, counted in Redis. A running turn holds `LLM_MAX_OUTPUT_TOKENS` of it until it ends (a turn whose process died: for `LLM_TIMEOUT_MS` + 60 s).',
    unset: 'unset (no budget)',
    example: '50000',
  },
  LLM_LIMIT_TEXT: { section: 'llm', description: "Said instead of calling the model once a user's daily budget is spent." },
  LLM_STREAMING: {
    section: 'llm',
    description: '`false`: one non-streaming call per step, for servers that stream poorly (the bot path sends one message either way).',
  },
  LLM_TIMEOUT_MS: {
    section: 'llm',
    description:
      "The model's time (ms) for one answer, every step: past it the request is aborted and the turn retried like a model error. Below `RESPONDER_TIMEOUT_MS`.",
    unset: `two thirds of \`RESPONDER_TIMEOUT_MS\` (\`${resolved.LLM_TIMEOUT_MS}\`)`,
    example: String(resolved.LLM_TIMEOUT_MS),
  },
};

/** Variables docker-compose.yml reads for its own services; their defaults are its `${NAME:-default}`. */
export const COMPOSE_ONLY_DOCS: Record<string, string> = {
  REDIS_MAXMEMORY: 'The memory cap of compose\'s Redis; see "Sizing Redis" in [Scaling out](docs/operations.md#scaling-out).',
  GRAFANA_ADMIN_PASSWORD: "Grafana's admin password (`--profile observability`).",
  PROMETHEUS_PORT: "Prometheus's host port (`--profile observability`).",
  GRAFANA_PORT: "Grafana's host port (`--profile observability`).",
  JAEGER_PORT: "The host port of Jaeger's UI (`--profile observability`).",
};
