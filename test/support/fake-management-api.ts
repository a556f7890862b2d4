import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ManagementCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/** A webhook as the fake stores it, with its triggers. */
export interface FakeWebhook {
  id: string;
  name: string;
  webhookURL: string;
  useBasicAuth?: boolean;
  username?: string;
  password?: string;
  enabled?: boolean;
  retryOnFailure?: boolean;
  triggers: string[];
  createdAt: number;
  updatedAt: number;
}

const WEBHOOKS = /^\/apps\/([^/?]+)\/webhooks(?:\/([^/?]+))?(\/triggers)?\/?(?:\?.*)?$/;

/**
 * A stand-in for CometChat's Management API (apimgmt.cometchat.io), the webhook endpoints only: Create, Get, List,
 * Update Webhook, List and Add Triggers. Records every call. Answers in the documented shapes where they are
 * documented (Create's `[{data}]`, Update's `{data: [{data}]}`, lists' `{data: [...], meta}`); Get Webhook echoes every
 * property but leaves out false and empty ones, as CometChat's Bots API does (INFERRED, see management-api.client.ts).
 */
export class FakeManagementApi {
  readonly calls: ManagementCall[] = [];
  /** Webhooks by app id, then webhook id. Tests may read and change them directly. */
  readonly apps = new Map<string, Map<string, FakeWebhook>>();
  key = 'mgmt-key';
  secret = 'mgmt-secret';
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        this.calls.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
        this.answer(req, res, body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  webhooksOf(appId: string): Map<string, FakeWebhook> {
    if (!this.apps.has(appId)) this.apps.set(appId, new Map());
    return this.apps.get(appId)!;
  }

  /** Calls that change something (not GET). */
  writes(): ManagementCall[] {
    return this.calls.filter((call) => call.method !== 'GET');
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: any): unknown {
    const send = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    const error = (status: number, code: string, message: string) => send(status, { error: { code, message } });
    if (req.headers.key !== this.key || req.headers.secret !== this.secret)
      return error(401, 'AUTH_ERR_INVALID_KEY', 'The key or secret is invalid.');
    const match = WEBHOOKS.exec(req.url ?? '');
    if (!match) return error(404, 'ERR_NOT_FOUND', 'No such endpoint.');
    const [, appId, id, triggers] = match;
    const webhooks = this.webhooksOf(decodeURIComponent(appId));
    const now = Math.floor(Date.now() / 1000);
    const summary = (w: FakeWebhook) => ({
      id: w.id,
      name: w.name,
      webhookURL: w.webhookURL,
      enabled: w.enabled,
      createdAt: w.createdAt,
      updatedAt: w.updatedAt,
    });

    if (!id) {
      if (req.method === 'GET') return send(200, { data: [...webhooks.values()].map(summary), meta: { pagination: { total: webhooks.size } } });
      if (req.method !== 'POST') return error(405, 'ERR_METHOD', 'Method not allowed.');
      if (typeof body?.id !== 'string' || typeof body?.name !== 'string' || typeof body?.webhookURL !== 'string') {
        return error(400, 'ERR_BAD_REQUEST', 'id, name and webhookURL are required.');
      }
      if (webhooks.has(body.id)) return error(400, 'ERR_WEBHOOK_ID_EXISTS', `A webhook with id ${body.id} exists.`);
      const { id: newId, name, webhookURL, useBasicAuth, username, password, enabled, retryOnFailure } = body;
      const created: FakeWebhook = {
        id: newId,
        name,
        webhookURL,
        useBasicAuth,
        username,
        password,
        enabled,
        retryOnFailure,
        triggers: [],
        createdAt: now,
        updatedAt: now,
      };
      webhooks.set(newId, created);
      return send(200, [{ data: summary(created) }]);
    }

    const webhook = webhooks.get(decodeURIComponent(id));
    if (!webhook) return error(404, 'ERR_WEBHOOK_NOT_FOUND', `No webhook with id ${id}.`);
    if (triggers) {
      if (req.method === 'GET')
        return send(200, {
          data: webhook.triggers.map((t) => ({ id: t, description: t })),
          meta: { pagination: { total: webhook.triggers.length } },
        });
      if (req.method !== 'POST' || !Array.isArray(body?.triggerIds)) return error(400, 'ERR_BAD_REQUEST', 'triggerIds is required.');
      const added: Record<string, unknown> = {};
      for (const trigger of body.triggerIds as string[]) {
        if (!webhook.triggers.includes(trigger)) webhook.triggers.push(trigger);
        added[trigger] = { success: true, message: 'Triggers has been added successfully.' };
      }
      return send(200, { data: added });
    }
    if (req.method === 'GET') {
      // Leaves out false and empty properties, as the Bots API's answers do.
      const { triggers: _, ...record } = webhook;
      return send(200, { data: Object.fromEntries(Object.entries(record).filter(([, v]) => v !== false && v !== '' && v !== undefined)) });
    }
    if (req.method === 'PUT') {
      for (const field of ['name', 'webhookURL', 'useBasicAuth', 'username', 'password', 'enabled', 'retryOnFailure'] as const) {
        if (body && field in body) (webhook as any)[field] = body[field];
      }
      webhook.updatedAt = now;
      return send(200, { data: [{ data: summary(webhook) }] });
    }
    return error(405, 'ERR_METHOD', 'Method not allowed.');
  }
}
