import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { openEventStream } from '../common/event-stream';
import { SandboxFeedItem, SandboxOutbox } from './sandbox-outbox.service';

/** A comment line now and then keeps proxies and browsers from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events for the chat page: first what the outbox and the page log hold, then every reply, page message
 * and change of one as Redis announces it. Announcements come from several processes and need not arrive in id order,
 * so nothing is filtered by id: the page places each entry by its `seq` and drops ones it already has (a reconnect
 * sends the backlog again); a change, or a reply it has that reads differently now, replaces the item where it stands.
 */
@Injectable()
export class SandboxEventStream implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SandboxEventStream.name);
  private readonly open = new Set<() => void>();

  constructor(
    private readonly outbox: SandboxOutbox,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    // An open stream never finishes by itself; end them all when the server starts closing, or close would wait.
    this.adapterHost.httpAdapter.getInstance<FastifyInstance>().addHook('preClose', async () => this.closeAll());
  }

  onModuleDestroy(): void {
    this.closeAll();
  }

  async stream(reply: FastifyReply): Promise<void> {
    const raw = openEventStream(reply);
    raw.write('retry: 2000\n\n');

    // Announcements that arrive while the backlog is read wait here, so nothing is lost or sent twice.
    let pending: SandboxFeedItem[] | null = [];
    const send = (entry: SandboxFeedItem) => writeEvent(raw, entry);
    const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
    let unwatch: () => void = () => undefined;
    const close = () => {
      clearInterval(heartbeat);
      unwatch();
      this.open.delete(close);
      if (!raw.writableEnded) raw.end();
    };
    this.open.add(close);
    raw.on('close', close);

    try {
      unwatch = await this.outbox.watch((entry) => (pending ? pending.push(entry) : send(entry)));
      const backlog = await this.outbox.feed();
      for (const entry of backlog) send(entry);
      const waiting = pending;
      pending = null;
      for (const entry of notInBacklog(backlog, waiting)) send(entry);
    } catch (error) {
      this.logger.warn(`sandbox event stream: ${(error as Error).message}`);
      raw.write(`event: problem\ndata: ${JSON.stringify({ message: 'Redis is unavailable; retrying' })}\n\n`);
      close();
    }
    if (raw.destroyed) close();
  }

  private closeAll(): void {
    for (const close of [...this.open]) close();
  }
}

/** What a change replaces where it stands (a reply, a page message, a reply's reactions): its kind in the backlog. */
const CHANGED: Partial<Record<SandboxFeedItem['kind'], SandboxFeedItem['kind']>> = {
  edit: 'reply',
  delete: 'reply',
  'sent-update': 'sent',
  reactions: 'reactions',
};

/**
 * The announcements that came while the backlog was read, less what it holds already: a reply or page message it has
 * (by kind and seq). A change (an edit or delete of a reply or page message, a reply's reactions) carries the whole
 * item as it left it, so it is never taken for what it changes: only a change that a later one of the same item
 * replaces, or that left the item exactly as the backlog holds it, is dropped; the newest change otherwise goes.
 */
export function notInBacklog(backlog: SandboxFeedItem[], waiting: SandboxFeedItem[]): SandboxFeedItem[] {
  const held = new Map(backlog.map((entry) => [`${entry.kind}:${entry.seq}`, entry.item]));
  return waiting.filter((entry, index) => {
    const changed = CHANGED[entry.kind];
    if (changed === undefined) return !held.has(`${entry.kind}:${entry.seq}`);
    if (waiting.some((later, at) => at > index && CHANGED[later.kind] === changed && later.seq === entry.seq)) return false;
    const item = held.get(`${changed}:${entry.seq}`);
    return item === undefined || JSON.stringify(item) !== JSON.stringify(entry.item);
  });
}

function writeEvent(raw: ServerResponse, entry: SandboxFeedItem): void {
  raw.write(`event: ${entry.kind}\ndata: ${JSON.stringify(entry.item)}\n\n`);
}
