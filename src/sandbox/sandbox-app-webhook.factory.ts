import { buildSandboxCallback, SandboxBot } from './sandbox-callback.factory';
import type { SandboxEventTrigger, SandboxReaction, SandboxReply, SandboxSentMessage } from './sandbox-outbox.service';

export type { SandboxEventTrigger, SandboxReaction } from './sandbox-outbox.service';

/** The `webhook` of every envelope the page sends: the id CometChat would give the app webhook it is set up as. */
export const SANDBOX_EVENTS_WEBHOOK_ID = 'sandbox-chat-page';

export interface SandboxAppWebhookEvent {
  trigger: SandboxEventTrigger;
  data: Record<string, unknown>;
  appId: string;
  region: string;
  webhook: string;
}

const envelope = (trigger: SandboxEventTrigger, data: Record<string, unknown>, bot: SandboxBot): SandboxAppWebhookEvent => ({
  trigger,
  data,
  appId: bot.appId,
  region: bot.region,
  webhook: SANDBOX_EVENTS_WEBHOOK_ID,
});

/** The page message as CometChat holds it: the same object as its callback's `data`, rebuilt from the page log. */
function messageOf(sent: SandboxSentMessage, text: string, bot: SandboxBot): Record<string, unknown> {
  const conversation = sent.receiverType === 'group' ? ({ type: 'group', id: sent.receiver } as const) : ({ type: 'user' } as const);
  const callback = buildSandboxCallback({ id: sent.id, sender: sent.sender, conversation, text, sentAt: sent.sentAt }, bot);
  return callback.data as Record<string, unknown>;
}

/** `message_edited`: the message with its new text (mentions read again), `editedAt` / `editedBy` as CometChat sets them. */
export function buildEditedEvent(sent: SandboxSentMessage, text: string, editedAt: number, bot: SandboxBot): SandboxAppWebhookEvent {
  const message = { ...messageOf(sent, text, bot), editedAt, editedBy: sent.sender.uid, updatedAt: editedAt };
  return envelope('message_edited', { message }, bot);
}

/** `message_deleted`: the message as it was, marked `deletedAt` / `deletedBy`. */
export function buildDeletedEvent(sent: SandboxSentMessage, deletedAt: number, bot: SandboxBot): SandboxAppWebhookEvent {
  const message = { ...messageOf(sent, sent.text, bot), deletedAt, deletedBy: sent.sender.uid, updatedAt: deletedAt };
  return envelope('message_deleted', { message }, bot);
}

/**
 * `message_reaction_added` / `_removed`: `data.reaction` and, as some of CometChat's pages show it, `data.message` (the
 * bot's reply, as the sandbox outbox stored it: the object CometChat would hold). Both are sent: a reader may use either.
 */
export function buildReactionEvent(
  change: 'added' | 'removed',
  reaction: SandboxReaction,
  reply: SandboxReply,
  bot: SandboxBot,
): SandboxAppWebhookEvent {
  const { id, messageId, uid, name, reactedAt } = reaction;
  const data = {
    reaction: { id, messageId, reaction: reaction.reaction, uid, reactedAt, reactedBy: { uid, name: name || uid } },
    message: { ...reply, updatedAt: reply.editedAt ?? reply.sentAt },
  };
  return envelope(change === 'added' ? 'message_reaction_added' : 'message_reaction_removed', data, bot);
}
