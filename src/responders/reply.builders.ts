import type { BotReply } from '../messages';

export interface ReplyOptions {
  /** Any JSON, stored with the message (data.metadata). */
  metadata?: Record<string, unknown>;
  /** Reply inside this message's thread. */
  parentId?: string;
}

const build = (category: BotReply['category'], type: string, data: Record<string, unknown>, options: ReplyOptions = {}): BotReply => ({
  category,
  type,
  data: options.metadata ? { ...data, metadata: options.metadata } : data,
  ...(options.parentId ? { parentId: options.parentId } : {}),
});

/** The token CometChat renders as a mention of `uid`, for use inside a text reply. */
export const mention = (uid: string) => `<@uid:${uid}>`;

/** A text message; `mention(uid)` inside the text mentions a user. */
export function textReply(text: string, options?: ReplyOptions): BotReply {
  if (!text.trim()) throw new Error('a text reply needs some text');
  return build('message', 'text', { text }, options);
}

export interface AttachmentSpec {
  url: string;
  name: string;
  mimeType: string;
  /** Derived from the name when omitted. */
  extension?: string;
  size?: number;
}

/** An image, video, audio or file message with one attachment, as CometChat's media messages carry it. */
export function mediaReply(type: 'image' | 'video' | 'audio' | 'file', attachment: AttachmentSpec, options?: ReplyOptions): BotReply {
  const extension = attachment.extension ?? /\.([A-Za-z0-9]+)$/.exec(attachment.name)?.[1]?.toLowerCase() ?? '';
  return build('message', type, { attachments: [{ ...attachment, extension }] }, options);
}

/** A custom message; CometChat refuses an empty customData. */
export function customReply(type: string, customData: Record<string, unknown>, options?: ReplyOptions): BotReply {
  if (Object.keys(customData).length === 0) throw new Error('customData must not be empty');
  return build('custom', type, { customData }, options);
}

// Interactive messages (cometchat-api.md §4): forms and cards made of elements.

export type ButtonAction =
  | { actionType: 'urlNavigation'; url: string }
  | {
      actionType: 'apiAction';
      url: string;
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      payload?: Record<string, unknown>;
      headers?: Record<string, string>;
      dataKey?: string;
    };

export interface ButtonElement {
  elementType: 'button';
  elementId: string;
  buttonText: string;
  action: ButtonAction;
  disableAfterInteracted?: boolean;
}

export type FormField =
  | {
      elementType: 'textInput';
      elementId: string;
      label: string;
      optional?: boolean;
      maxLines?: number;
      defaultValue?: string;
      placeholder?: { text: string };
    }
  | {
      elementType: 'dropdown' | 'singleSelect' | 'checkbox';
      elementId: string;
      label: string;
      optional?: boolean;
      options: Array<{ value: string; label: string }>;
      defaultValue?: string | string[];
    }
  | ButtonElement;

export interface InteractionGoal {
  type: 'anyAction' | 'anyOf' | 'allOf' | 'none';
  elementIds?: string[];
}

export const urlButton = (elementId: string, buttonText: string, url: string): ButtonElement => ({
  elementType: 'button',
  elementId,
  buttonText,
  action: { actionType: 'urlNavigation', url },
});

export const apiButton = (
  elementId: string,
  buttonText: string,
  action: Omit<Extract<ButtonAction, { actionType: 'apiAction' }>, 'actionType'>,
): ButtonElement => ({ elementType: 'button', elementId, buttonText, action: { actionType: 'apiAction', ...action } });

interface InteractiveCommon {
  goal?: InteractionGoal;
  /** Whether the sender (the bot) may interact with its own message; CometChat's default is false. */
  allowSenderInteraction?: boolean;
}

const interactive = (type: 'form' | 'card', interactiveData: Record<string, unknown>, common: InteractiveCommon, options?: ReplyOptions) =>
  build(
    'interactive',
    type,
    {
      interactiveData,
      interactionGoal: common.goal ?? { type: 'none', elementIds: [] },
      allowSenderInteraction: common.allowSenderInteraction ?? false,
    },
    options,
  );

/** An interactive form: fields the user fills in and a submit button. */
export function formReply(form: InteractiveCommon & { title: string; fields: FormField[]; submit: ButtonElement }, options?: ReplyOptions): BotReply {
  if (form.fields.length === 0) throw new Error('a form needs at least one field');
  return interactive('form', { title: form.title, formFields: form.fields, submitElement: form.submit }, form, options);
}

/** An interactive card: text, an optional image and buttons. */
export function cardReply(card: InteractiveCommon & { text: string; imageUrl?: string; actions: ButtonElement[] }, options?: ReplyOptions): BotReply {
  if (card.actions.length === 0) throw new Error('a card needs at least one action');
  return interactive('card', { text: card.text, ...(card.imageUrl ? { imageUrl: card.imageUrl } : {}), cardActions: card.actions }, card, options);
}
