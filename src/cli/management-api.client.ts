import axios, { AxiosInstance, isAxiosError } from 'axios';

/**
 * CometChat's Management API (multi-tenancy; `key` and `secret` headers; cometchat-api.md §7, S18): the app
 * webhooks `register` creates. Documented: the paths, bodies and headers used here. INFERRED (check against a live
 * account): that an unknown webhook id is answered 404, that Get Webhook shows the fields Create takes (see
 * currentAppWebhook), and the answers' envelopes (the docs' samples disagree: `{data}`, `[{data}]`, `{data: [{data}]}`),
 * which are therefore read loosely.
 */
export const MANAGEMENT_API_URL = 'https://apimgmt.cometchat.io';

export type ManagementApiFailure = 'unreachable' | 'auth' | 'rejected';

export class ManagementApiError extends Error {
  constructor(
    readonly kind: ManagementApiFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ManagementApiError';
  }
}

export type WebhookRecord = Record<string, unknown> & { id?: string; webhookURL?: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The payload under any nesting of `data` and one-element arrays. */
function unwrap(body: unknown): unknown {
  let value = body;
  for (let depth = 0; depth < 4; depth++) {
    if (Array.isArray(value) && value.length === 1 && isObject(value[0]) && 'data' in value[0]) value = value[0];
    else if (isObject(value) && 'data' in value) value = value.data;
    else break;
  }
  return value;
}

const messageOf = (body: unknown): string => {
  const error = isObject(body) && isObject(body.error) ? body.error : isObject(body) ? body : undefined;
  const code = typeof error?.code === 'string' ? `${error.code}: ` : '';
  const message = typeof error?.message === 'string' ? error.message : JSON.stringify(body ?? null).slice(0, 300);
  return `${code}${message}`;
};

export class ManagementApiClient {
  private readonly http: AxiosInstance;

  constructor(
    readonly baseUrl: string,
    key: string,
    secret: string,
    timeoutMs: number,
  ) {
    this.http = axios.create({
      baseURL: baseUrl,
      timeout: timeoutMs,
      // Without X-Webhook-Version: 2 these endpoints manage the legacy webhooks, which have no edit, delete or
      // reaction triggers.
      headers: { key, secret, 'x-webhook-version': '2', 'content-type': 'application/json', accept: 'application/json' },
      maxRedirects: 0,
      validateStatus: () => true,
    });
  }

  /** The app's webhooks (at most 25 an app, so one page). */
  async listWebhooks(appId: string): Promise<WebhookRecord[]> {
    const path = `${this.app(appId)}/webhooks?perPage=100`;
    const body = this.ok(await this.call('GET', path), `GET ${path}`);
    const list = isObject(body) && Array.isArray(body.data) ? body.data : unwrap(body);
    return Array.isArray(list) ? list.filter(isObject) : [];
  }

  /** The webhook, or null when the app has none with this id. */
  async getWebhook(appId: string, id: string): Promise<WebhookRecord | null> {
    const path = this.webhook(appId, id);
    const answer = await this.call('GET', path);
    if (answer.status === 404) return null;
    const record = unwrap(this.ok(answer, `GET ${path}`));
    return isObject(record) ? record : null;
  }

  async createWebhook(appId: string, webhook: Record<string, unknown>): Promise<void> {
    const path = `${this.app(appId)}/webhooks`;
    this.ok(await this.call('POST', path, webhook), `POST ${path}`);
  }

  async updateWebhook(appId: string, id: string, changes: Record<string, unknown>): Promise<void> {
    const path = this.webhook(appId, id);
    this.ok(await this.call('PUT', path, changes), `PUT ${path}`);
  }

  /** The ids of the triggers the webhook has. */
  async listTriggers(appId: string, id: string): Promise<string[]> {
    const path = `${this.webhook(appId, id)}/triggers`;
    const body = this.ok(await this.call('GET', path), `GET ${path}`);
    const list = isObject(body) && Array.isArray(body.data) ? body.data : [];
    return list.flatMap((trigger) =>
      isObject(trigger) && typeof trigger.id === 'string' ? [trigger.id] : typeof trigger === 'string' ? [trigger] : [],
    );
  }

  async addTriggers(appId: string, id: string, triggerIds: string[]): Promise<void> {
    const path = `${this.webhook(appId, id)}/triggers`;
    this.ok(await this.call('POST', path, { triggerIds }), `POST ${path}`);
  }

  private app = (appId: string) => `/apps/${encodeURIComponent(appId)}`;
  private webhook = (appId: string, id: string) => `${this.app(appId)}/webhooks/${encodeURIComponent(id)}`;

  private async call(method: string, url: string, data?: unknown): Promise<{ status: number; body: unknown }> {
    try {
      const response = await this.http.request({ method, url, data });
      return { status: response.status, body: response.data };
    } catch (error) {
      const why = isAxiosError(error) ? (error.code ?? error.message) : String(error);
      throw new ManagementApiError('unreachable', `the Management API is unreachable at ${this.baseUrl} (${method} ${url}): ${why}`);
    }
  }

  private ok({ status, body }: { status: number; body: unknown }, what: string): unknown {
    if (status >= 200 && status < 300) return body;
    const detail = `${what}: the Management API answered ${status}: ${messageOf(body)}`;
    throw new ManagementApiError(status === 401 || status === 403 ? 'auth' : 'rejected', detail, status);
  }
}
