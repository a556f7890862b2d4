/**
 * A bot callback as CometChat POSTs it, limited to the fields the service reads (the webhook's DTO validates
 * exactly these). CometChat adds fields freely; they travel on untouched.
 */
export interface CometChatCallback {
  trigger: string;
  bot?: string;
  appId?: string;
  data: CallbackMessage;
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
