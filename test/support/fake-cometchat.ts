import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  at: number;
  /** What the fake answered: a status, or 'hang' / 'reset'. */
  answer: number | 'hang' | 'reset';
}

/** A message the fake stored (a send it answered 2xx), as List Messages returns it. */
export interface StoredMessage {
  id: string;
  muid?: string;
  data?: { text?: string; [field: string]: unknown };
  /** Every text the message had, the first as posted, then each edit's (Update Message). */
  texts?: Array<string | undefined>;
  sender: string;
  receiver: string;
  receiverType: string;
  parentId?: string;
  sentAt: number;
  /** Set by Delete Message (DELETE /messages/{id}), epoch seconds: CometChat keeps a deleted message, marked. */
  deletedAt?: number;
}

/** A bot as the fake's Bots API stores it (cometchat-api.md §5). */
export interface FakeBot {
  uid: string;
  webhookURL: string;
  groupChatSetting: string;
  useBasicAuth: boolean;
  username?: string;
  password?: string;
  enabled: boolean;
  createdAt: number;
  updatedAt?: number;
}

const GROUP_CHAT_SETTINGS = ['allMessages', 'slashedMessages', 'mentionedMessages', 'none'];
/** GET/POST /v3/bots and GET/PUT/DELETE /v3/bots/{uid}; /v3/bots/{uid}/messages is Send Bot Message. */
const BOTS_API = /^\/v3\/bots(?:\/([^/?]+))?\/?(?:\?.*)?$/;
/** Update Message (PUT /messages/{id}). */
const EDIT_MESSAGE = /^\/v3\/messages\/([^/?]+)\/?(?:\?.*)?$/;
/** List Messages of a user or group conversation, or of a thread (GET). */
const LIST_MESSAGES = /^\/v3\/(users|groups|messages)\/([^/?]+)\/(messages|thread)(?:\?.*)?$/;

export type Behaviour =
  /** `until`: answer only once it settles (a test holds the answer while it breaks something). */
  { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number; until?: Promise<unknown> } | { hang: true } | { reset: true };

/**
 * A stand-in for CometChat's REST API: records every call and answers from a script of behaviours
 * (429, 5xx, 4xx, hangs, connection resets; refused connections with refuse() / accept()), then 200 with a stored message once the script is used up.
 * The Bots API (create, get, list, update, delete) is emulated with an in-memory store instead; its calls are
 * recorded too but never take a scripted answer, so a script meant for sends stays for sends.
 */
export class FakeCometChat {
  readonly calls: RecordedCall[] = [];
  /** What CometChat stored: every send answered 2xx, even one whose answer never reached the sender. */
  readonly messages: StoredMessage[] = [];
  /** The Bots API's store, by (lowercased) UID. Tests may read and change it directly. */
  readonly bots = new Map<string, FakeBot>();
  private readonly pathRules = new Map<string, Behaviour>();
  /** When set, Bots API calls with another `apikey` header are refused as CometChat does (401 AUTH_ERR_APIKEY_NOT_FOUND). */
  botsApiKey?: string;
  /** When set, creating a bot for a UID not in it fails with ERR_UID_NOT_FOUND (a bot must be an existing user). */
  users?: Set<string>;
  private script: Behaviour[] = [];
  private outage?: Behaviour[];
  private outageCalls = 0;
  private server: Server;
  /** The port of the first listen, kept across refuse() / accept(). */
  private port = 0;
  private hanging = new Set<ServerResponse>();
  private nextId = 5000;
  private waiters: Array<() => void> = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v3`;
  }

  /**
   * CometChat unreachable: stops listening, so every connection is refused (ECONNREFUSED), and drops the open
   * ones, calls in flight (hung ones too) included. Calls never reach the fake meanwhile, so none is recorded.
   */
  async refuse(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.releaseHanging();
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again after refuse(), on the same port (the service's COMETCHAT_API_URL). */
  async accept(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** The next calls get these answers, in order. */
  answerNext(...behaviours: Behaviour[]): void {
    this.script.push(...behaviours);
  }

  /**
   * Every call to this path (a bot's Send Bot Message, say) gets this answer, ahead of the script, until it is set
   * again to undefined: one bot of an app refused while its others are not.
   */
  answerPath(path: string, behaviour: Behaviour | undefined): void {
    if (behaviour) this.pathRules.set(path, behaviour);
    else this.pathRules.delete(path);
  }

  /** An outage: once the script is used up, every call gets these answers in turn, until recover(). */
  startOutage(...behaviours: Behaviour[]): void {
    this.outage = behaviours;
    this.outageCalls = 0;
  }

  recover(): void {
    this.outage = undefined;
  }

  /** Calls that CometChat would have stored (answered 2xx). */
  get delivered(): RecordedCall[] {
    return this.calls.filter((c) => typeof c.answer === 'number' && c.answer < 300);
  }

  /** Posts CometChat stored (answered 2xx): new messages, not edits or lookups. */
  get posts(): RecordedCall[] {
    return this.delivered.filter((c) => c.method === 'POST');
  }

  /** Update Message calls answered 2xx (PUT /messages/{id}), in order. */
  get edits(): RecordedCall[] {
    return this.delivered.filter((c) => c.method === 'PUT' && EDIT_MESSAGE.test(c.path));
  }

  /** Delete Message calls answered 2xx (DELETE /messages/{id}), in order. */
  get deletes(): RecordedCall[] {
    return this.delivered.filter((c) => c.method === 'DELETE' && EDIT_MESSAGE.test(c.path));
  }

  /** The stored message with this id. */
  message(id: string): StoredMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  async waitForCalls(count: number, timeoutMs = 15_000): Promise<RecordedCall[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} CometChat calls, saw ${this.calls.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.calls;
  }

  releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async stop(): Promise<void> {
    this.releaseHanging();
    this.server.closeAllConnections();
    // Resolves even when refuse() left it closed (close() then calls back with ERR_SERVER_NOT_RUNNING).
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(req: IncomingMessage, body: any, answer: RecordedCall['answer']): void {
    this.calls.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: Date.now(), answer });
    this.waiters.splice(0).forEach((wake) => wake());
  }

  /**
   * CometChat's Bots API as documented: responses omit every empty or false property and return the password
   * in plain text; Create keeps credentials only with useBasicAuth, Update stores whatever it is sent.
   */
  private botsApi(req: IncomingMessage, uidInPath: string | undefined, body: any): { status: number; body: unknown } {
    const error = (status: number, code: string, message: string) => ({ status, body: { error: { code, message } } });
    if (this.botsApiKey !== undefined && req.headers.apikey !== this.botsApiKey) {
      return error(401, 'AUTH_ERR_APIKEY_NOT_FOUND', 'The apiKey provided is not valid.');
    }
    const now = Math.floor(Date.now() / 1000);
    const view = (bot: FakeBot) => Object.fromEntries(Object.entries(bot).filter(([, v]) => v !== undefined && v !== '' && v !== false));
    const badField = (changes: any): string | undefined => {
      if ('groupChatSetting' in changes && !GROUP_CHAT_SETTINGS.includes(changes.groupChatSetting)) return 'groupChatSetting';
      if (
        'webhookURL' in changes &&
        !(typeof changes.webhookURL === 'string' && /^https?:\/\/\S+$/.test(changes.webhookURL) && changes.webhookURL.length <= 255)
      ) {
        return 'webhookURL';
      }
      for (const field of ['username', 'password']) {
        if (field in changes && !(typeof changes[field] === 'string' && changes[field].length <= 50)) return field;
      }
      for (const field of ['useBasicAuth', 'enabled']) if (field in changes && typeof changes[field] !== 'boolean') return field;
      return undefined;
    };
    const uid = uidInPath?.toLowerCase();
    const method = req.method ?? 'GET';

    if (uid === undefined && method === 'GET') {
      const all = [...this.bots.values()].sort((a, b) => a.uid.localeCompare(b.uid)).map(view);
      return {
        status: 200,
        body: { data: all, meta: { pagination: { total: all.length, count: all.length, per_page: 100, current_page: 1, total_pages: 1 } } },
      };
    }
    if (uid === undefined && method === 'POST') {
      if (typeof body?.uid !== 'string' || body.uid === '' || body.uid.length > 50)
        return error(400, 'ERR_BAD_REQUEST', 'The uid field is required.');
      if (typeof body.webhookURL !== 'string') return error(400, 'ERR_BAD_REQUEST', 'The webhookURL field is required.');
      const bad = badField(body);
      if (bad) return error(400, 'ERR_BAD_REQUEST', `The ${bad} field is invalid.`);
      const newUid = body.uid.toLowerCase();
      if (this.users && !this.users.has(newUid)) return error(404, 'ERR_UID_NOT_FOUND', `The UID ${newUid} does not exist.`);
      if (this.bots.has(newUid)) return error(400, 'ERR_BOT_ALREADY_EXISTS', `A bot already exists for the UID ${newUid}.`);
      const basic = body.useBasicAuth === true;
      const bot: FakeBot = {
        uid: newUid,
        webhookURL: body.webhookURL,
        groupChatSetting: body.groupChatSetting ?? 'none',
        useBasicAuth: basic,
        ...(basic ? { username: body.username, password: body.password } : {}),
        enabled: body.enabled === true,
        createdAt: now,
      };
      this.bots.set(newUid, bot);
      return { status: 200, body: { data: view(bot) } };
    }
    if (uid === undefined) return error(404, 'ERR_API_NOT_FOUND', 'No such API.');

    const bot = this.bots.get(uid);
    if (!bot) return error(404, 'ERR_BOT_NOT_FOUND', `A bot is not associated with the UID ${uid}.`);
    if (method === 'GET') return { status: 200, body: { data: view(bot) } };
    if (method === 'PUT') {
      const bad = badField(body ?? {});
      if (bad) return error(400, 'ERR_BAD_REQUEST', `The ${bad} field is invalid.`);
      for (const field of ['webhookURL', 'groupChatSetting', 'useBasicAuth', 'username', 'password', 'enabled'] as const) {
        if (body && field in body) (bot as any)[field] = body[field];
      }
      bot.updatedAt = now;
      return { status: 200, body: { data: view(bot) } };
    }
    if (method === 'DELETE') {
      this.bots.delete(uid);
      return { status: 200, body: { data: { success: true, message: `Bot ${uid} deleted successfully.` } } };
    }
    return error(404, 'ERR_API_NOT_FOUND', 'No such API.');
  }

  /** A send CometChat takes: stored with a fresh id (the bot's own, or the `onBehalfOf` user's). */
  private store(req: IncomingMessage, body: any): Record<string, unknown> {
    const thread = /^\/v3\/messages\/([^/]+)\/thread/.exec(req.url ?? '');
    const sender = (req.headers.onbehalfof as string | undefined) ?? /^\/v3\/bots\/([^/]+)\//.exec(req.url ?? '')?.[1] ?? 'support-bot';
    const message = { id: String(this.nextId++), sender, ...body, ...(thread ? { parentId: thread[1] } : {}), sentAt: Math.floor(Date.now() / 1000) };
    message.texts = [message.data?.text];
    this.messages.push(message);
    return message;
  }

  /** Delete Message: the stored message is marked deleted, by its sender only (on behalf of the bot for its answers). */
  private remove(id: string, headers: IncomingMessage['headers']): { status: number; body: unknown } {
    const message = this.message(id);
    if (!message || message.deletedAt !== undefined)
      return { status: 404, body: { error: { code: 'ERR_MSG_NOT_FOUND', message: `The message ${id} does not exist.` } } };
    if (headers.onbehalfof !== message.sender) {
      return { status: 403, body: { error: { code: 'ERR_NOT_A_SENDER', message: 'Only the sender may delete a message.' } } };
    }
    message.deletedAt = Math.floor(Date.now() / 1000);
    return { status: 200, body: { data: { ...message, deletedBy: message.sender } } };
  }

  /** Update Message: the stored message's data takes the body's; answered with the `edited` action message, as CometChat does. */
  private edit(id: string, body: any, headers: IncomingMessage['headers']): { status: number; body: unknown } {
    const message = this.message(id);
    if (!message) return { status: 404, body: { error: { code: 'ERR_MSG_NOT_FOUND', message: `The message ${id} does not exist.` } } };
    if (headers.onbehalfof !== message.sender) {
      return { status: 403, body: { error: { code: 'ERR_NOT_A_SENDER', message: 'Only the sender may edit a message.' } } };
    }
    const data = { ...message.data, ...(body?.data ?? {}) };
    message.data = data;
    message.texts = [...(message.texts ?? []), String(data.text)];
    const now = Math.floor(Date.now() / 1000);
    return {
      status: 200,
      body: {
        data: {
          id: String(this.nextId++),
          category: 'action',
          type: 'message',
          data: { action: 'edited', entities: { on: { entity: message } } },
          sentAt: now,
        },
      },
    };
  }

  /**
   * List Messages as the service uses it: the conversation between the `onBehalfOf` user and a user, a group's, or a
   * thread's, oldest first from `fromTimestamp`, of one `sender`, at most `limit`.
   */
  private listMessages(kind: string, id: string, query: URLSearchParams, headers: IncomingMessage['headers']): StoredMessage[] {
    const me = headers.onbehalfof as string | undefined;
    const inConversation = (m: StoredMessage) => {
      if (kind === 'messages') return m.parentId === id;
      if (kind === 'groups') return m.receiverType === 'group' && m.receiver === id && !m.parentId;
      return m.receiverType === 'user' && !m.parentId && ((m.sender === me && m.receiver === id) || (m.sender === id && m.receiver === me));
    };
    const sender = query.get('sender');
    const from = Number(query.get('fromTimestamp') ?? 0);
    return this.messages
      .filter((m) => inConversation(m) && (!sender || m.sender === sender) && m.sentAt >= from)
      .slice(0, Number(query.get('limit') ?? 10));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* recorded as text */
      }
      const bots = BOTS_API.exec(req.url ?? '');
      if (bots) {
        const { status, body: answer } = this.botsApi(req, bots[1] ? decodeURIComponent(bots[1]) : undefined, body);
        this.record(req, body, status);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
        return;
      }
      const list = req.method === 'GET' ? LIST_MESSAGES.exec(req.url ?? '') : null;
      // The script is for sends; an outage takes every call.
      const ruled = this.pathRules.get((req.url ?? '').split('?')[0]);
      const behaviour = ruled ??
        (list ? undefined : this.script.shift()) ??
        this.outage?.[this.outageCalls++ % this.outage.length] ?? { status: 200 };
      const call: RecordedCall = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
        answer: 'hang' in behaviour ? 'hang' : 'reset' in behaviour ? 'reset' : behaviour.status,
      };
      this.calls.push(call);
      this.waiters.splice(0).forEach((wake) => wake());
      if ('hang' in behaviour) {
        this.hanging.add(res);
        return;
      }
      if ('reset' in behaviour) {
        req.socket.destroy();
        return;
      }
      const edit = req.method === 'PUT' || req.method === 'DELETE' ? EDIT_MESSAGE.exec(req.url ?? '') : null;
      const change =
        req.method === 'PUT' ? this.edit.bind(this) : (id: string, _: unknown, headers: IncomingMessage['headers']) => this.remove(id, headers);
      const edited = edit && behaviour.status < 300 && !behaviour.body ? change(decodeURIComponent(edit[1]), body, req.headers) : undefined;
      if (edited) call.answer = edited.status;
      const answer =
        edited?.body ??
        behaviour.body ??
        (behaviour.status >= 300
          ? { error: { code: 'ERR_FAKE', message: `fake ${behaviour.status}` } }
          : list
            ? { data: this.listMessages(list[1], decodeURIComponent(list[2]), new URL(req.url ?? '', 'http://fake').searchParams, req.headers) }
            : { data: this.store(req, body) });
      const send = () => {
        res.writeHead(edited?.status ?? behaviour.status, { 'content-type': 'application/json', ...(behaviour.headers ?? {}) });
        res.end(JSON.stringify(answer));
      };
      if (behaviour.until) void behaviour.until.then(send, send);
      else if (behaviour.delayMs) setTimeout(send, behaviour.delayMs);
      else send();
    });
  }
}
