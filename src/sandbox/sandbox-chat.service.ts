import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { webhookConfig, WebhookConfig } from '../config/app.config';
import { ServedBot, ServedBots } from '../config/served-bots';
import { buildDeletedEvent, buildEditedEvent, buildReactionEvent, SandboxAppWebhookEvent, SandboxReaction } from './sandbox-app-webhook.factory';
import { buildSandboxCallback, conversationIdOf, SandboxBot, SandboxConversation } from './sandbox-callback.factory';
import { SandboxOutbox, SandboxSentMessage } from './sandbox-outbox.service';
import type { SandboxMessageDto } from './dto/sandbox-message.dto';
import type { SandboxReactionDto } from './dto/sandbox-change.dto';
import { basicAuthHeader } from '../common/basic-auth';
import { APP_EVENTS_PATH } from '../webhook/app-events/app-events.route';
import { WEBHOOK_PATH } from '../webhook/callback.route';

type WebhookAnswer = { statusCode: number; body: unknown };

export interface SandboxSendResult {
  id: string;
  /** The page's log entry for the message, as the event stream also announces it. */
  message: SandboxSentMessage;
  /** The callback posted to the webhook, as CometChat would have sent it. */
  callback: Record<string, unknown>;
  /** The webhook's answer: accepted, duplicate, ignored (with the reason), or an error. */
  webhook: WebhookAnswer;
}

/** What an edit, delete or reaction on the page became: the app webhook event posted, and the events route's answer. */
export interface SandboxEventResult {
  id: string;
  event: SandboxAppWebhookEvent;
  webhook: WebhookAnswer;
  /** An edit or delete: the page log's entry as changed (the event stream announces it too). */
  message?: SandboxSentMessage;
  /** A reaction: added or taken back (the page's toggle), and the reaction. */
  reaction?: { added: boolean; reaction: SandboxReaction };
}

/**
 * Turns a message typed on the chat page into a CometChat callback and posts it to this service's own webhook,
 * with the configured Basic Auth, in process (Fastify inject): guard, validation, filters, dedupe and queue all
 * run as for CometChat. The credentials stay here; the page only ever sees the webhook's answer. With several bots
 * the message is to the bot the page chose (the first when it names none): the callback is that bot's, posted to
 * its own path with its own credentials, as CometChat would post it.
 *
 * Edits, deletes and reactions travel the same way as the app webhook events CometChat would send for them, posted to
 * the events route with its credentials (EVENTS_WEBHOOK_*); the page log keeps the message as it now stands.
 */
@Injectable()
export class SandboxChatService {
  private readonly logger = new Logger(SandboxChatService.name);
  /** Each bot's Basic Auth header. */
  private readonly authorization: Map<ServedBot, string>;
  /** The app webhooks' Basic Auth header; none when no credentials are set (several bots without EVENTS_WEBHOOK_*). */
  private readonly eventsAuthorization?: string;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly outbox: SandboxOutbox,
    private readonly bots: ServedBots,
    @Inject(webhookConfig.KEY) webhook: Pick<WebhookConfig, 'events'>,
  ) {
    this.authorization = new Map(bots.all.map((bot) => [bot, basicAuthHeader(bot.webhook.username, bot.webhook.password)]));
    const { username, password } = webhook.events;
    if (username !== undefined && password !== undefined) this.eventsAuthorization = basicAuthHeader(username, password);
  }

  async send(input: SandboxMessageDto): Promise<SandboxSendResult> {
    const bot = this.botOf(input.bot);
    const fresh = await this.outbox.nextMessageId();
    // A resend keeps the old message id (that is the point) but takes a new place in the page's feed.
    const id = input.id ?? fresh;
    const conversation: SandboxConversation = input.conversation.type === 'group' ? { type: 'group', id: input.conversation.id! } : { type: 'user' };
    const sentAt = Math.floor(Date.now() / 1000);
    const callback = buildSandboxCallback({ id, sender: input.sender, conversation, text: input.text, sentAt }, this.sandboxBot(bot));

    // One bot: the path it always posted to.
    const webhook = await this.post(this.bots.several ? `${WEBHOOK_PATH}/${bot.uid}` : WEBHOOK_PATH, this.authorization.get(bot), callback);

    const [receiverType, receiver] = conversation.type === 'group' ? (['group', conversation.id] as const) : (['user', bot.uid] as const);
    const sent: SandboxSentMessage = {
      seq: fresh,
      id,
      // The page shows it in that bot's view (a group message's receiver is the group); one bot has one view.
      ...(this.bots.several ? { bot: bot.uid } : {}),
      ...(input.clientRef ? { clientRef: input.clientRef } : {}),
      sender: input.sender.name ? { uid: input.sender.uid, name: input.sender.name } : { uid: input.sender.uid },
      receiver,
      receiverType,
      conversationId: conversationIdOf(receiverType, receiver, input.sender.uid),
      text: input.text,
      sentAt,
      webhook,
    };
    // The page learns the answer from this response; the log only lets other tabs and reloads show it too.
    await this.outbox.recordSent(sent).catch((error: Error) => this.logger.warn(`page message ${id} not logged: ${error.message}`));
    return { id, message: sent, callback, webhook };
  }

  /** Edits a page message as its sender: `message_edited` to the events route, then the page log shows the new text. */
  async edit(id: string, text: string): Promise<SandboxEventResult> {
    const sent = await this.changeable(id);
    const editedAt = Math.floor(Date.now() / 1000);
    const event = buildEditedEvent(sent, text, editedAt, this.sandboxBot(this.botOfSent(sent)));
    const webhook = await this.post(APP_EVENTS_PATH, this.eventsAuthorization, event);
    // Changed whatever the route answered: CometChat edits the message first and tells the webhook after.
    const message = await this.outbox.changeSent(id, { text, editedAt, change: { trigger: event.trigger, webhook } });
    if (!message) throw new ConflictException(`message ${id} was deleted meanwhile`);
    return { id, event, webhook, message };
  }

  /** Deletes a page message as its sender: `message_deleted` to the events route, then the page log shows it deleted. */
  async delete(id: string): Promise<SandboxEventResult> {
    const sent = await this.changeable(id);
    const deletedAt = Math.floor(Date.now() / 1000);
    const event = buildDeletedEvent(sent, deletedAt, this.sandboxBot(this.botOfSent(sent)));
    const webhook = await this.post(APP_EVENTS_PATH, this.eventsAuthorization, event);
    const message = await this.outbox.changeSent(id, { deletedAt, change: { trigger: event.trigger, webhook } });
    if (!message) throw new ConflictException(`message ${id} was deleted meanwhile`);
    return { id, event, webhook, message };
  }

  /**
   * Adds the user's reaction to a bot reply, or takes it back when they had given it: `message_reaction_added` (or
   * `_removed`, with the same reaction id) to the events route. The reply's reactions are stored first: the toggle
   * decides which event it is.
   */
  async react(replyId: string, input: SandboxReactionDto): Promise<SandboxEventResult> {
    const reply = (await this.outbox.replies()).find((stored) => stored.id === replyId);
    if (!reply) throw new NotFoundException(`reply ${replyId} is not in the sandbox outbox`);
    const bot = this.bots.find(reply.sender);
    if (bot === undefined) throw new BadRequestException(`reply ${replyId} is from ${reply.sender}, not a bot of this deployment`);
    const { uid, name } = input.sender;
    const toggled = await this.outbox.toggleReaction({
      id: await this.outbox.nextMessageId(),
      messageId: replyId,
      reaction: input.reaction,
      uid,
      ...(name ? { name } : {}),
      reactedAt: Math.floor(Date.now() / 1000),
    });
    const event = buildReactionEvent(toggled.added ? 'added' : 'removed', toggled.reaction, reply, this.sandboxBot(bot));
    const webhook = await this.post(APP_EVENTS_PATH, this.eventsAuthorization, event);
    return { id: replyId, event, webhook, reaction: toggled };
  }

  /** A page message that can still be edited or deleted: in the log, and not deleted. */
  private async changeable(id: string): Promise<SandboxSentMessage> {
    const sent = await this.outbox.sentMessage(id);
    if (!sent) throw new NotFoundException(`message ${id} is not in the page log`);
    if (sent.deletedAt !== undefined) throw new ConflictException(`message ${id} is deleted`);
    return sent;
  }

  /** The bot a page message was sent to: the one it names (several bots), else the one bot. */
  private botOfSent(sent: SandboxSentMessage): ServedBot {
    const bot = sent.bot === undefined ? this.bots.all[0] : this.bots.find(sent.bot);
    if (bot === undefined) throw new BadRequestException(`message ${sent.id} was sent to ${sent.bot}, no longer a bot of this deployment`);
    return bot;
  }

  private sandboxBot(bot: ServedBot): SandboxBot {
    return { uid: bot.uid, appId: bot.app.appId, region: bot.app.region };
  }

  /** Posts JSON to a route of this service in process (Fastify inject), as CometChat would; its answer. */
  private async post(url: string, authorization: string | undefined, body: unknown): Promise<WebhookAnswer> {
    const response = await this.adapterHost.httpAdapter.getInstance<FastifyInstance>().inject({
      method: 'POST',
      url,
      headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    return { statusCode: response.statusCode, body: parseBody(response.body) };
  }

  /** The bot the page chose: any served bot (the page lists them all); none named, the first. */
  private botOf(uid: string | undefined): ServedBot {
    if (uid === undefined) return this.bots.all[0];
    const bot = this.bots.find(uid);
    if (bot === undefined) throw new BadRequestException(`bot: ${uid} is not a bot of this deployment`);
    return bot;
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
