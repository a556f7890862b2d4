import axios, { AxiosInstance, isAxiosError } from 'axios';

/** A bot as CometChat's Bots API returns it; properties that are empty or false are omitted (cometchat-api.md §5). */
export interface BotRecord {
  uid: string;
  webhookURL?: string;
  groupChatSetting?: string;
  useBasicAuth?: boolean;
  username?: string;
  /** CometChat returns it in plain text: never print it. */
  password?: string;
  enabled?: boolean;
  createdAt?: number;
  updatedAt?: number;
  [field: string]: unknown;
}

export type BotsApiFailure = 'unreachable' | 'auth' | 'uid-not-found' | 'rejected';

export class BotsApiError extends Error {
  constructor(
    readonly kind: BotsApiFailure,
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'BotsApiError';
  }
}

interface Answer {
  status: number;
  body: unknown;
}

/** `value[key]` when value is an object, else undefined: answers' bodies are read without trusting their shape. */
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

// The error envelope is undocumented; CometChat's own SDKs read `error.code`, some answers carry `code` on top.
const codeOf = (body: unknown): string | undefined => text(field(field(body, 'error'), 'code')) ?? text(field(body, 'code'));
const messageOf = (body: unknown): string =>
  text(field(field(body, 'error'), 'message')) ??
  text(field(body, 'message')) ??
  (typeof body === 'string' ? body : JSON.stringify(body ?? null)).slice(0, 300);

/**
 * CometChat's Bots API (GET/POST/PUT /bots), with the same base URL, `apikey` header and timeout as the service: the
 * CLI's register and doctor, and the service's boot check of each bot's app credentials (AppCredentialsCheck).
 */
export class BotsApiClient {
  private readonly http: AxiosInstance;

  constructor(
    readonly baseUrl: string,
    apiKey: string,
    timeoutMs: number,
  ) {
    this.http = axios.create({
      baseURL: baseUrl,
      timeout: timeoutMs,
      headers: { apikey: apiKey, 'content-type': 'application/json', accept: 'application/json' },
      maxRedirects: 0,
      // Every answer is interpreted here: ERR_BOT_NOT_FOUND is an expected one.
      validateStatus: () => true,
    });
  }

  /** The bot, or null when the UID has no bot (ERR_BOT_NOT_FOUND). */
  async get(uid: string): Promise<BotRecord | null> {
    const answer = await this.call('GET', `/bots/${encodeURIComponent(uid)}`);
    if (codeOf(answer.body) === 'ERR_BOT_NOT_FOUND') return null;
    const bot = this.record(answer, `GET /bots/${uid}`);
    if (!bot) throw new BotsApiError('rejected', `GET /bots/${uid}: CometChat answered ${answer.status} without a bot`);
    return bot;
  }

  async create(bot: Omit<BotRecord, 'createdAt' | 'updatedAt'>): Promise<BotRecord | undefined> {
    return this.record(await this.call('POST', '/bots', bot), 'POST /bots');
  }

  async update(uid: string, changes: Partial<BotRecord>): Promise<BotRecord | undefined> {
    return this.record(await this.call('PUT', `/bots/${encodeURIComponent(uid)}`, changes), `PUT /bots/${uid}`);
  }

  private async call(method: string, url: string, data?: unknown): Promise<Answer> {
    try {
      const response = await this.http.request({ method, url, data });
      return { status: response.status, body: response.data };
    } catch (error) {
      const why = isAxiosError(error) ? (error.code ?? error.message) : String(error);
      throw new BotsApiError('unreachable', `CometChat unreachable at ${this.baseUrl} (${method} ${url}): ${why}`);
    }
  }

  /** The bot in a 2xx answer (undefined if the body has none), or a classified error. */
  private record({ status, body }: Answer, what: string): BotRecord | undefined {
    if (status >= 200 && status < 300) {
      const data = field(body, 'data');
      return data && typeof data === 'object' ? (data as BotRecord) : undefined;
    }
    const code = codeOf(body);
    const detail = `${what}: CometChat answered ${status}${code ? ` ${code}` : ''}: ${messageOf(body)}`;
    if (status === 401 || status === 403 || code?.startsWith('AUTH_ERR')) throw new BotsApiError('auth', detail, status, code);
    if (code === 'ERR_UID_NOT_FOUND') throw new BotsApiError('uid-not-found', detail, status, code);
    throw new BotsApiError('rejected', detail, status, code);
  }
}
