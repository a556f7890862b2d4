/**
 * A bot callback as CometChat POSTs it, limited to the fields the service reads (the webhook's DTO validates
 * exactly these). CometChat adds fields freely; they travel on untouched.
 */
export interface CometChatCallback {
  trigger: string;
  bot?: string;
  appId?: string;
  data: CallbackMessage;
  /**
   * Set on an app webhook's event (an edit, a delete, a reaction), stored in the same shape as a callback: `data` is the
   * message changed, with `sender` the one who changed it (the reactor of a reaction), so that it joins the same
   * conversation's line as the message.
   */
  change?: MessageChange;
  [field: string]: unknown;
}

export interface CallbackMessage {
  id: string;
  sender: string;
  receiver: string;
  receiverType: 'user' | 'group';
  category: string;
  type: string;
  parentId?: string;
  sentAt?: number;
  data?: CallbackContent;
  [field: string]: unknown;
}

export interface CallbackContent {
  text?: string;
  attachments?: unknown[];
  metadata?: Record<string, unknown>;
  customData?: Record<string, unknown>;
  mentions?: Record<string, unknown>;
  [field: string]: unknown;
}

/** What an app webhook said happened to a message (see CometChatCallback.change). */
export interface MessageChange {
  kind: 'edited' | 'deleted' | 'reaction-added' | 'reaction-removed';
  /** Names this change for good (deduplication, job ids): the message id, the kind, and a digest of what changed. */
  key: string;
  /** The message's own sender, when someone else made the change (a reaction on the bot's answer). */
  messageSender?: string;
  reaction?: { emoji: string; by: { uid: string; name?: string } };
  /** The app webhook's body as CometChat sent it. */
  appEvent: Record<string, unknown>;
}

/** The app webhook triggers the service takes (cometchat-api.md §7), and what each says happened to a message. */
export const APP_EVENT_TRIGGERS = {
  message_edited: 'edited',
  message_deleted: 'deleted',
  message_reaction_added: 'reaction-added',
  message_reaction_removed: 'reaction-removed',
} as const satisfies Record<string, MessageChange['kind']>;
export type AppEventTrigger = keyof typeof APP_EVENT_TRIGGERS;
export const isAppEventTrigger = (trigger: unknown): trigger is AppEventTrigger =>
  typeof trigger === 'string' && Object.hasOwn(APP_EVENT_TRIGGERS, trigger);
