// The sandbox chat page. Plain browser JavaScript, no build step. Every piece of text that comes from a
// message is put in the page with textContent, never as HTML.
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const els = {
    mode: $('mode'),
    connection: $('connection'),
    meUid: $('me-uid'),
    meName: $('me-name'),
    conversations: $('conversations'),
    openGroup: $('open-group'),
    groupId: $('group-id'),
    groupHint: $('group-setting-hint'),
    title: $('chat-title'),
    subtitle: $('chat-subtitle'),
    messages: $('messages'),
    empty: $('empty'),
    composer: $('composer'),
    text: $('text'),
    send: $('send'),
    stop: $('stop'),
    mentionBot: $('mention-bot'),
    slashHelp: $('slash-help'),
    composerHint: $('composer-hint'),
    botPickerField: $('bot-picker-field'),
    botPicker: $('bot-picker'),
    webhookPath: $('webhook-path'),
    handoff: $('handoff'),
  };

  const UID = /^[a-z0-9_-]{1,100}$/;
  const MENTION = /<@uid:([^>\s]+)>/g;
  const store = {
    get: (key, fallback) => {
      try {
        const value = JSON.parse(localStorage.getItem('cometchat-sandbox:' + key));
        return value === null ? fallback : value;
      } catch {
        return fallback;
      }
    },
    set: (key, value) => {
      try {
        localStorage.setItem('cometchat-sandbox:' + key, JSON.stringify(value));
      } catch {
        /* private mode: the page still works, it just forgets */
      }
    },
  };

  const state = {
    session: { botUid: 'bot', mode: 'sandbox', groupChatSetting: 'mentionedMessages' },
    /** The bots of the deployment (session.bots), and the uid of the one this page talks to. */
    bots: [{ uid: 'bot', groupChatSetting: 'mentionedMessages', agentEndpoint: false }],
    bot: store.get('bot', 'bot'),
    me: store.get('me', { uid: 'sandbox-user', name: 'Sandbox User' }),
    groups: store.get('groups', ['sandbox-group']),
    current: null,
    /** conversation key -> { nodes: [{seq, node}], unread, label } */
    conversations: new Map(),
    seen: new Set(),
    /** reply id -> { node, json, writing }: the node stays put while edits replace what it shows. */
    replies: new Map(),
    byClientRef: new Map(),
    /** page message seq -> { node, key, callback, json, item }: an edit or delete redraws it where it stands. */
    sent: new Map(),
    /** reply id -> its reactions ([{id, reaction, uid, name, reactedAt}]), as the feed last said. */
    reactions: new Map(),
    names: new Map(),
  };

  /** The reactions the page offers on a bot reply (a second click takes one back). */
  const REACTIONS = ['👍', '👎'];

  // ---- bots ----
  // With several bots the page talks to one at a time (the picker): each has its own conversations, replies and
  // agent, as CometChat keeps them apart. With one bot none of this shows and every key is as it always was.

  const several = () => state.bots.length > 1;
  const currentBot = () => state.bots.find((bot) => bot.uid === state.bot) || state.bots[0];

  // ---- conversations ----

  /** `user:alice`, `group:ops`; with several bots the bot's uid first (`sales-bot/user:alice`): a uid has no `/`. */
  const scope = (botUid) => (several() ? botUid + '/' : '');
  const directKey = (uid, botUid = state.bot) => scope(botUid) + 'user:' + uid;
  const groupKey = (guid, botUid = state.bot) => scope(botUid) + 'group:' + guid;

  function parseKey(key) {
    const slash = key.indexOf('/');
    const rest = key.slice(slash + 1);
    const colon = rest.indexOf(':');
    return { bot: slash === -1 ? state.bot : key.slice(0, slash), type: rest.slice(0, colon), id: rest.slice(colon + 1) };
  }

  function conversation(key) {
    let entry = state.conversations.get(key);
    if (!entry) {
      entry = { nodes: [], unread: 0 };
      state.conversations.set(key, entry);
    }
    return entry;
  }

  function keyOfSent(item) {
    // A page message names its bot (several bots); a reply's bot is its sender.
    const bot = item.bot || state.bots[0].uid;
    return item.receiverType === 'group' ? groupKey(item.receiver, bot) : directKey(item.sender.uid, bot);
  }

  function keyOfReply(item) {
    return item.receiverType === 'group' ? groupKey(item.receiver, item.sender) : directKey(item.receiver, item.sender);
  }

  function describeKey(key) {
    const { type, id } = parseKey(key);
    if (type === 'group') return { icon: '#', label: id, title: 'Group ' + id, subtitle: groupSubtitle() };
    const mine = id === state.me.uid;
    const theBot = several() ? state.bot : 'the bot';
    return {
      icon: '@',
      label: (mine ? 'You' : state.names.get(id) || id) + ' and ' + theBot,
      title: 'One-to-one with ' + theBot,
      subtitle: 'as ' + (mine ? state.me.name || id : state.names.get(id) || id) + ' (' + id + ')',
    };
  }

  function groupSubtitle() {
    const setting = currentBot().groupChatSetting;
    // A bot of BOTS_FILE has its own setting.
    const said = '(' + (several() ? 'groupChatSetting: ' : 'GROUP_CHAT_SETTING=') + setting + ').';
    if (setting === 'mentionedMessages') return 'The bot answers messages that mention it ' + said;
    if (setting === 'slashedMessages') return 'The bot answers slash commands only ' + said;
    if (setting === 'allMessages') return 'The bot answers every message ' + said;
    return 'The bot ignores group messages ' + said;
  }

  function conversationKeys() {
    const keys = [directKey(state.me.uid), ...state.groups.map((guid) => groupKey(guid))];
    // Other conversations of this bot are listed once they hold something (a former identity's empty chat is not).
    const mine = scope(state.bot);
    for (const [key, entry] of state.conversations) if (!keys.includes(key) && key.startsWith(mine) && entry.nodes.length > 0) keys.push(key);
    return keys;
  }

  function renderConversationList() {
    els.conversations.replaceChildren(
      ...conversationKeys().map((key) => {
        const info = describeKey(key);
        const li = document.createElement('li');
        li.dataset.key = key;
        li.className = key === state.current ? 'active' : '';
        li.append(text('span', info.icon, 'icon'), text('span', info.label, 'label'));
        const unread = state.conversations.get(key)?.unread ?? 0;
        if (unread > 0 && key !== state.current) li.append(text('span', String(unread), 'badge'));
        li.addEventListener('click', () => open(key));
        return li;
      }),
    );
    renderBotPicker();
  }

  /** Each other bot's unread replies and messages, on its name in the picker. */
  function renderBotPicker() {
    if (!several()) return;
    for (const option of els.botPicker.options) {
      let unread = 0;
      for (const [key, entry] of state.conversations) if (key.startsWith(option.value + '/')) unread += entry.unread;
      option.textContent = option.value + (unread > 0 && option.value !== state.bot ? ' (' + unread + ' new)' : '');
    }
  }

  function open(key) {
    const { type, id } = parseKey(key);
    if (type === 'user' && key !== directKey(state.me.uid)) {
      // Another user's one-to-one chat: become that user to see it and talk in it.
      const uid = id;
      setMe({ uid, name: state.names.get(uid) || uid });
    }
    state.current = key;
    const entry = conversation(key);
    entry.unread = 0;
    const info = describeKey(key);
    els.title.textContent = info.title;
    els.subtitle.textContent = info.subtitle;
    els.messages.replaceChildren(...entry.nodes.map((n) => n.node));
    els.empty.hidden = entry.nodes.length > 0;
    renderConversationList();
    updateComposerHint();
    els.handoff.hidden = true;
    checkHandoff();
    scrollToEnd(true);
    els.text.focus();
  }

  function setMe(me) {
    const changed = me.uid !== state.me.uid;
    state.me = me;
    els.meUid.value = me.uid;
    els.meName.value = me.name || '';
    store.set('me', me);
    if (changed) redrawForMe();
  }

  /** What depends on who the user is: which messages are theirs (edit, delete) and which reactions. */
  function redrawForMe() {
    for (const [seq, shown] of state.sent) {
      const node = renderSent(shown.item, shown.callback);
      replace(shown.key, shown.node, seq, node);
      shown.node = node;
      if (shown.item.clientRef && state.byClientRef.has(shown.item.clientRef)) state.byClientRef.get(shown.item.clientRef).node = node;
    }
    for (const id of state.replies.keys()) redrawReactions(id);
  }

  // ---- rendering helpers ----

  function text(tag, content, className) {
    const node = document.createElement(tag);
    node.textContent = content;
    if (className) node.className = className;
    return node;
  }

  function safeUrl(url, allowData) {
    if (typeof url !== 'string') return null;
    try {
      const parsed = new URL(url, location.href);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:' || (allowData && parsed.protocol === 'data:')) return parsed.href;
    } catch {
      /* not a URL */
    }
    return null;
  }

  /** Text with `<@uid:…>` tokens shown as mention chips. */
  function richText(value) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of String(value).matchAll(MENTION)) {
      fragment.append(document.createTextNode(value.slice(last, match.index)));
      const uid = match[1].toLowerCase();
      fragment.append(text('span', '@' + (uid === state.bot ? 'bot' : state.names.get(uid) || uid), 'mention'));
      last = match.index + match[0].length;
    }
    fragment.append(document.createTextNode(String(value).slice(last)));
    return fragment;
  }

  function json(value) {
    return text('pre', JSON.stringify(value, null, 2), 'json');
  }

  function details(summary, value) {
    const node = document.createElement('details');
    node.className = 'raw';
    node.append(text('summary', summary), text('pre', JSON.stringify(value, null, 2)));
    return node;
  }

  function time(seconds) {
    return new Date((seconds || Date.now() / 1000) * 1000).toLocaleTimeString();
  }

  function initials(name) {
    return (
      (name || '?')
        .replace(/[^A-Za-z0-9]/g, ' ')
        .trim()
        .split(/\s+/)
        .slice(0, 2)
        .map((w) => w[0])
        .join('')
        .toUpperCase() || '?'
    );
  }

  function shell(kind, author, mine) {
    const li = document.createElement('li');
    li.className = 'message ' + kind + (mine ? ' mine' : '');
    const body = document.createElement('div');
    body.className = 'body';
    li.append(text('div', kind === 'bot' ? 'B' : initials(author), 'avatar'), body);
    if (!mine) body.append(text('div', author, 'author'));
    return { li, body };
  }

  // ---- webhook answers ----

  function statusChip(webhook) {
    if (!webhook) return text('span', 'sending…', 'status');
    const body = webhook.body || {};
    if (webhook.statusCode === 200 && body.status === 'accepted') return text('span', 'accepted', 'status accepted');
    if (webhook.statusCode === 200 && body.status === 'duplicate') return text('span', 'duplicate', 'status duplicate');
    if (webhook.statusCode === 200 && body.status === 'ignored') return text('span', 'ignored · ' + (body.reason || '?'), 'status ignored');
    const why = Array.isArray(body.message) ? body.message.join('; ') : body.message || body.error || '';
    return text('span', 'error ' + webhook.statusCode + (why ? ' · ' + why : ''), 'status error');
  }

  function renderSent(item, callback) {
    const mine = item.sender.uid === state.me.uid;
    const author = item.sender.name || item.sender.uid;
    const { li, body } = shell('sent', author, mine);
    if (item.seq) li.dataset.seq = item.seq;
    if (item.id) li.dataset.id = item.id;
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    if (item.deletedAt) {
      li.classList.add('deleted');
      bubble.append(text('span', 'This message was deleted', 'deleted-text'));
    } else bubble.append(richText(item.text));
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.append(statusChip(item.webhook));
    if (item.id) meta.append(text('span', '#' + item.id + ' · ' + time(item.sentAt)));
    if (item.editedAt && !item.deletedAt) meta.append(editedMark(item.editedAt));
    // The answer of the events route to the latest edit or delete, as the webhook's answer to the message is shown.
    if (item.change) meta.append(changeChip(item.change));
    // Logged messages of this user only: CometChat lets a user edit and delete their own messages.
    if (mine && item.seq && item.webhook && !item.deletedAt) {
      const edit = linkButton('edit', 'Edit this message: CometChat sends message_edited to the app webhook');
      edit.classList.add('edit');
      edit.addEventListener('click', () => startEdit(li, item));
      const remove = linkButton('delete', 'Delete this message: CometChat sends message_deleted to the app webhook');
      remove.classList.add('delete');
      remove.addEventListener('click', () => changeSent(item, 'DELETE'));
      meta.append(edit, remove);
    }
    if (item.id && item.webhook && !item.deletedAt) {
      const again = text('button', 'send again (same id)', 'link');
      again.type = 'button';
      again.title = 'Deliver this message id again, as CometChat would on a retry';
      again.addEventListener('click', () =>
        send(item.text, { groupId: item.receiverType === 'group' ? item.receiver : null, resendId: item.id, sender: item.sender, bot: item.bot }),
      );
      meta.append(again);
    }
    body.append(bubble, meta);
    if (callback) body.append(details('callback sent to the webhook', callback));
    return li;
  }

  function renderReply(item) {
    // With several bots a reply says which bot it is from.
    const { li, body } = shell('bot', several() ? item.sender : 'Bot', false);
    li.dataset.id = item.id;
    const data = item.data || {};
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    if (item.category === 'message' && item.type === 'text') bubble.append(richText(data.text ?? ''));
    else if (item.category === 'message') renderMedia(bubble, item.type, data);
    else if (item.category === 'custom') {
      bubble.append(text('div', 'custom · ' + item.type, 'kind'), json(data.customData ?? data));
    } else if (item.category === 'interactive' && item.type === 'form') renderForm(bubble, data);
    else if (item.category === 'interactive' && item.type === 'card') renderCard(bubble, data);
    else bubble.append(text('div', item.category + ' · ' + item.type, 'kind'), json(data));
    if (item.parentId) body.append(text('div', '↳ in the thread of #' + item.parentId, 'thread'));
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.append(text('span', '#' + item.id + ' · ' + time(item.sentAt)));
    // An edited reply says so, as CometChat's UIs do; while edits still come it says "writing…" (the CSS, on .writing).
    if (item.editedAt && !item.deletedAt) meta.append(editedMark(item.editedAt));
    if (item.deletedAt) {
      // Deleted where it stands, as CometChat keeps a deleted message (e.g. the question it answered was deleted).
      li.classList.add('deleted');
      bubble.replaceChildren(text('span', 'This message was deleted', 'deleted-text'));
      bubble.className = 'bubble';
    }
    body.append(bubble, meta);
    if (!item.deletedAt) body.append(renderReactions(item.id));
    if (data.metadata) body.append(details('metadata', data.metadata));
    body.append(details('stored in the outbox', item));
    return li;
  }

  function editedMark(seconds) {
    const edited = text('span', 'edited', 'edited');
    edited.title = 'edited at ' + time(seconds);
    return edited;
  }

  function linkButton(label, title) {
    const button = text('button', label, 'link');
    button.type = 'button';
    button.title = title;
    return button;
  }

  const CHANGE_LABELS = {
    message_edited: 'edit',
    message_deleted: 'delete',
    message_reaction_added: 'reaction added',
    message_reaction_removed: 'reaction removed',
  };

  /** The events route's answer to an app webhook event, labelled with what the event was. */
  function changeChip(change) {
    const chip = statusChip(change.webhook);
    chip.textContent = (CHANGE_LABELS[change.trigger] || change.trigger) + ' · ' + chip.textContent;
    chip.classList.add('change');
    chip.title = change.trigger + ' posted to /webhooks/cometchat/events';
    return chip;
  }

  /** Under a bot reply: its reactions (who gave them in the title), and the buttons that add or take back this user's. */
  function renderReactions(id) {
    const row = document.createElement('div');
    row.className = 'reactions';
    const given = state.reactions.get(id) || [];
    for (const emoji of REACTIONS) {
      const by = given.filter((reaction) => reaction.reaction === emoji);
      const mine = by.some((reaction) => reaction.uid === state.me.uid);
      const button = text('button', emoji + (by.length > 0 ? ' ' + by.length : ''), 'react' + (mine ? ' mine' : ''));
      button.type = 'button';
      button.dataset.reaction = emoji;
      button.setAttribute('aria-pressed', String(mine));
      button.title =
        (by.length > 0 ? by.map((reaction) => reaction.name || reaction.uid).join(', ') + ' · ' : '') +
        (mine ? 'click to take your ' + emoji + ' back' : 'react ' + emoji + ': message_reaction_added to the app webhook');
      button.addEventListener('click', () => react(id, emoji));
      row.append(button);
    }
    // Reactions the page does not offer (given elsewhere) are shown too.
    const others = [...new Set(given.map((reaction) => reaction.reaction))].filter((emoji) => !REACTIONS.includes(emoji));
    for (const emoji of others) row.append(text('span', emoji + ' ' + given.filter((r) => r.reaction === emoji).length, 'reaction'));
    const answer = state.replies.get(id)?.reacted;
    if (answer) row.append(changeChip(answer));
    return row;
  }

  function renderMedia(bubble, type, data) {
    bubble.classList.add('media');
    bubble.append(text('div', type, 'kind'));
    const attachments = Array.isArray(data.attachments) ? data.attachments : [];
    if (attachments.length === 0) bubble.append(json(data));
    for (const attachment of attachments) {
      const box = document.createElement('div');
      box.className = 'attachment';
      const url = safeUrl(attachment.url, true);
      if (url && type === 'image') {
        const img = document.createElement('img');
        img.src = url;
        img.alt = attachment.name || 'image';
        img.loading = 'lazy';
        box.append(img);
      } else if (url && (type === 'video' || type === 'audio')) {
        const player = document.createElement(type);
        player.controls = true;
        player.src = url;
        box.append(player);
      }
      const label = [attachment.name || 'attachment', attachment.mimeType, attachment.size ? Math.round(attachment.size / 1024) + ' KB' : '']
        .filter(Boolean)
        .join(' · ');
      if (url) {
        const link = text('a', label);
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        box.append(link);
      } else box.append(text('span', label + ' (no usable URL)'));
      bubble.append(box);
    }
    if (data.text) bubble.append(richText(data.text));
  }

  function renderForm(bubble, data) {
    bubble.classList.add('card');
    const form = data.interactiveData || {};
    bubble.append(text('div', 'interactive form', 'kind'), text('h3', form.title || 'Form'));
    for (const field of form.formFields || []) {
      if (field.elementType === 'button') {
        bubble.append(actions([field]));
        continue;
      }
      const row = document.createElement('label');
      row.className = 'form-field';
      const label = text('span', field.label || field.elementId);
      if (field.optional) label.append(text('span', ' (optional)', 'optional'));
      row.append(label);
      if (field.elementType === 'textInput') {
        const input = document.createElement(field.maxLines > 1 ? 'textarea' : 'input');
        input.placeholder = field.placeholder?.text || '';
        input.value = field.defaultValue || '';
        input.disabled = true;
        row.append(input);
      } else if (field.elementType === 'dropdown') {
        const select = document.createElement('select');
        select.disabled = true;
        for (const option of field.options || []) select.append(new Option(option.label, option.value, false, option.value === field.defaultValue));
        row.append(select);
      } else if (field.elementType === 'singleSelect' || field.elementType === 'checkbox') {
        const choices = document.createElement('div');
        choices.className = 'choices';
        const chosen = [].concat(field.defaultValue || []);
        for (const option of field.options || []) {
          const choice = document.createElement('label');
          const input = document.createElement('input');
          input.type = field.elementType === 'checkbox' ? 'checkbox' : 'radio';
          input.disabled = true;
          input.checked = chosen.includes(option.value);
          choice.append(input, document.createTextNode(' ' + option.label));
          choices.append(choice);
        }
        row.append(choices);
      } else row.append(json(field));
      bubble.append(row);
    }
    if (form.submitElement) bubble.append(actions([form.submitElement]));
  }

  function renderCard(bubble, data) {
    bubble.classList.add('card');
    const card = data.interactiveData || {};
    bubble.append(text('div', 'interactive card', 'kind'));
    const image = safeUrl(card.imageUrl, true);
    if (image) {
      const img = document.createElement('img');
      img.src = image;
      img.alt = '';
      bubble.append(img);
    }
    const words = document.createElement('div');
    words.append(richText(card.text || ''));
    bubble.append(words, actions(card.cardActions || []));
  }

  /** Buttons: a URL opens in a new tab; an API action is shown (the sandbox does not call it). */
  function actions(buttons) {
    const row = document.createElement('div');
    row.className = 'actions';
    for (const button of buttons) {
      const action = button.action || {};
      const url = safeUrl(action.url, false);
      if (action.actionType === 'urlNavigation' && url) {
        const link = text('a', button.buttonText || url);
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        row.append(link);
      } else {
        const shown = text('button', button.buttonText || button.elementId || 'button');
        shown.type = 'button';
        shown.disabled = true;
        shown.title = action.actionType === 'apiAction' ? (action.method || 'POST') + ' ' + action.url + ' (not called in the sandbox)' : 'no action';
        row.append(shown);
      }
    }
    return row;
  }

  // ---- placing messages ----

  /** Puts a node in its conversation, ordered by seq (pending messages, with no seq yet, stay last). */
  function place(key, seq, node) {
    const entry = conversation(key);
    const at = seq === null ? entry.nodes.length : entry.nodes.findIndex((n) => n.seq === null || compareSeq(n.seq, seq) > 0);
    const index = at === -1 ? entry.nodes.length : at;
    entry.nodes.splice(index, 0, { seq, node });
    if (key === state.current) {
      const before = entry.nodes[index + 1]?.node;
      els.messages.insertBefore(node, before && before.parentNode === els.messages ? before : null);
      els.empty.hidden = true;
      scrollToEnd(false);
    } else {
      entry.unread += 1;
      renderConversationList();
    }
  }

  function replace(key, oldNode, seq, node) {
    const entry = conversation(key);
    const index = entry.nodes.findIndex((n) => n.node === oldNode);
    if (index !== -1) entry.nodes.splice(index, 1);
    if (oldNode.parentNode) oldNode.remove();
    const wasCurrent = key === state.current;
    place(key, seq, node);
    if (!wasCurrent) entry.unread = Math.max(0, entry.unread - 1);
  }

  function compareSeq(a, b) {
    return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  }

  function scrollToEnd(force) {
    const list = els.messages;
    const nearEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    if (force || nearEnd) requestAnimationFrame(() => (list.scrollTop = list.scrollHeight));
  }

  function rememberName(sender) {
    if (sender?.name) state.names.set(sender.uid, sender.name);
  }

  function addSent(item, callback) {
    const seen = 'sent:' + item.seq;
    const pending = item.clientRef ? state.byClientRef.get(item.clientRef) : undefined;
    if (state.seen.has(seen) && !(pending && callback)) {
      // A message the page has (a reconnect sends the backlog again) may have been edited or deleted since.
      updateSent(item);
      return;
    }
    state.seen.add(seen);
    rememberName(item.sender);
    const key = keyOfSent(item);
    const node = renderSent(item, callback ?? pending?.callback);
    if (pending) {
      state.byClientRef.set(item.clientRef, { node, key, callback: callback ?? pending.callback });
      replace(pending.key, pending.node, item.seq, node);
    } else place(key, item.seq, node);
    state.sent.set(item.seq, { node, key, callback: callback ?? pending?.callback, json: JSON.stringify(item), item });
    conversationChanged(key);
  }

  /** How far a page message has come: deleted is final; a later edit beats an earlier one. */
  const sentStage = (item) => (item.deletedAt ? Infinity : item.editedAt || 0);

  /** A page message edited or deleted (here, in another tab, or before a reconnect): redrawn where it stands. */
  function updateSent(item) {
    const shown = state.sent.get(item.seq);
    if (!shown) {
      if (!state.seen.has('sent:' + item.seq)) addSent(item);
      return;
    }
    const json = JSON.stringify(item);
    // Answers and announcements of one change may come in either order: never go back to an earlier state.
    if (json === shown.json || sentStage(item) < sentStage(shown.item)) return;
    const node = renderSent(item, shown.callback);
    replace(shown.key, shown.node, item.seq, node);
    state.sent.set(item.seq, { ...shown, node, json, item });
    if (item.clientRef && state.byClientRef.has(item.clientRef)) state.byClientRef.get(item.clientRef).node = node;
  }

  function addReply(item) {
    const shown = state.replies.get(item.id);
    // A reply the page has (a reconnect sends the backlog again) is shown as it stands now: it may have been edited since.
    if (shown) {
      refreshReply(shown, item);
      return;
    }
    const node = renderReply(item);
    state.replies.set(item.id, { node, json: JSON.stringify(item), writing: null, reacted: null });
    place(keyOfReply(item), item.id, node);
    conversationChanged(keyOfReply(item));
  }

  /** A reply deleted (the message it answered was deleted): shown deleted where it stands. */
  function deleteReply(item) {
    const shown = state.replies.get(item.id);
    if (shown) refreshReply(shown, item);
    else addReply(item);
  }

  /** A reply's reactions changed (from any page): its row is redrawn. */
  function setReactions({ id, reactions }) {
    state.reactions.set(id, reactions);
    redrawReactions(id);
  }

  function redrawReactions(id) {
    const shown = state.replies.get(id);
    const row = shown?.node.querySelector('.reactions');
    if (row) row.replaceWith(renderReactions(id));
  }

  /** An edit (a streamed answer filled in): the reply's bubble shows the new text where it stands, marked while edits come. */
  function editReply(item) {
    if (!state.replies.has(item.id)) addReply(item); // its post was not sent to this page (older than the backlog)
    const shown = state.replies.get(item.id);
    refreshReply(shown, item);
    shown.node.classList.add('writing');
    clearTimeout(shown.writing);
    // No more edits for two intervals: the answer is whole (the last edit holds it), or it stopped.
    shown.writing = setTimeout(() => shown.node.classList.remove('writing'), 2 * writingIntervalMs() + 1000);
  }

  function writingIntervalMs() {
    return state.session.streamEditIntervalMs || 2000;
  }

  /** Replaces what the reply's node shows with `item`, keeping the node (its place, and any details left open). */
  function refreshReply(shown, item) {
    const json = JSON.stringify(item);
    if (json === shown.json) return;
    shown.json = json;
    const list = els.messages;
    const following = shown.node.parentNode === list && list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    const opened = [...shown.node.querySelectorAll('details[open] > summary')].map((summary) => summary.textContent);
    const fresh = renderReply(item);
    for (const summary of fresh.querySelectorAll('details > summary')) if (opened.includes(summary.textContent)) summary.parentNode.open = true;
    shown.node.replaceChildren(...fresh.childNodes);
    // Its classes too (a reply deleted), but it is still being written while edits come.
    const writing = shown.node.classList.contains('writing');
    shown.node.className = fresh.className;
    shown.node.classList.toggle('writing', writing && !item.deletedAt);
    if (following) scrollToEnd(true);
  }

  // ---- sending ----

  function botMentionToken() {
    return '<@uid:' + state.bot + '>';
  }

  /** `@bot` (a word on its own) becomes the bot's mention token, as CometChat's clients write it. */
  function withMentions(value) {
    return value.replace(/(^|\s)@bot\b/gi, (_, space) => space + botMentionToken());
  }

  /**
   * Posts a message; `resendId` delivers an earlier message id again (as `sender`, into `groupId` or one-to-one, to
   * `bot`). With several bots the message is to the bot picked (or `bot`): the service posts it as that bot's callback.
   */
  async function send(rawText, { groupId, resendId, sender, bot } = {}) {
    const value = withMentions(rawText.trim());
    if (!value) return;
    const from = sender || { uid: state.me.uid, name: state.me.name };
    const to = bot || state.bot;
    const current = parseKey(state.current);
    const group = groupId !== undefined ? groupId : current.type === 'group' ? current.id : null;
    const conversationRef = group ? { type: 'group', id: group } : { type: 'user' };
    const clientRef = Math.random().toString(36).slice(2) + Date.now().toString(36);
    const key = group ? groupKey(group, to) : directKey(from.uid, to);
    const draft = {
      ...(several() ? { bot: to } : {}),
      sender: from,
      receiver: group || to,
      receiverType: group ? 'group' : 'user',
      text: value,
    };
    const node = renderSent(draft);
    state.byClientRef.set(clientRef, { node, key });
    place(key, null, node);

    let result;
    try {
      const response = await fetch('/sandbox/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          sender: { uid: from.uid, ...(from.name ? { name: from.name } : {}) },
          conversation: conversationRef,
          ...(several() ? { bot: to } : {}),
          text: value,
          clientRef,
          ...(resendId ? { id: resendId } : {}),
        }),
      });
      const body = await response.json().catch(() => ({}));
      result = response.ok ? body : { message: { ...draft, clientRef, seq: null, webhook: { statusCode: response.status, body } } };
    } catch (error) {
      result = {
        message: { ...draft, clientRef, seq: null, webhook: { statusCode: 0, body: { message: 'the service did not answer: ' + error.message } } },
      };
    }
    if (result.message.seq === null) {
      const failed = renderSent(result.message);
      replace(key, node, null, failed);
      state.byClientRef.set(clientRef, { node: failed, key });
      return;
    }
    addSent(result.message, result.callback);
  }

  /** `PATCH` (an edit, with the new text) or `DELETE` of a page message; its answer says what the events route made of it. */
  async function changeSent(item, method, newText) {
    let answer;
    try {
      const response = await fetch('/sandbox/messages/' + encodeURIComponent(item.id), {
        method,
        ...(method === 'PATCH' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: newText }) } : {}),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        // The event stream says so too (for every entry of the id); whichever comes first shows it.
        if (body.message?.seq === item.seq) updateSent(body.message);
        return;
      }
      answer = { statusCode: response.status, body };
    } catch (error) {
      answer = { statusCode: 0, body: { message: 'the service did not answer: ' + error.message } };
    }
    // Refused (e.g. deleted meanwhile): the message stays as it was, with the refusal beside it.
    const shown = state.sent.get(item.seq);
    shown?.node.querySelector('.meta').append(changeChip({ trigger: method === 'PATCH' ? 'message_edited' : 'message_deleted', webhook: answer }));
  }

  /** Edits a message in its bubble: Enter (or save) sends the new text, Escape (or cancel) leaves it as it was. */
  function startEdit(li, item) {
    const bubble = li.querySelector('.bubble');
    if (bubble.querySelector('form')) return;
    const form = document.createElement('form');
    form.className = 'edit-form';
    const input = document.createElement('textarea');
    input.className = 'edit-text';
    input.setAttribute('aria-label', 'New text of the message');
    input.value = item.text.split(botMentionToken()).join('@bot');
    const save = text('button', 'save', 'primary');
    save.type = 'submit';
    const cancel = text('button', 'cancel');
    cancel.type = 'button';
    const shown = [...bubble.childNodes];
    const stop = () => bubble.replaceChildren(...shown);
    cancel.addEventListener('click', stop);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = withMentions(input.value.trim());
      stop();
      if (value && value !== item.text) changeSent(item, 'PATCH', value);
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === 'Escape') stop();
    });
    form.append(input, save, cancel);
    bubble.replaceChildren(form);
    input.focus();
  }

  /** Adds this user's reaction to a reply, or takes it back; the feed shows the reactions, the row the route's answer. */
  async function react(id, emoji) {
    let reacted;
    try {
      const response = await fetch('/sandbox/replies/' + encodeURIComponent(id) + '/reactions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reaction: emoji, sender: { uid: state.me.uid, ...(state.me.name ? { name: state.me.name } : {}) } }),
      });
      const body = await response.json().catch(() => ({}));
      reacted = response.ok
        ? { trigger: body.event.trigger, webhook: body.webhook }
        : { trigger: 'message_reaction_added', webhook: { statusCode: response.status, body } };
    } catch (error) {
      reacted = { trigger: 'message_reaction_added', webhook: { statusCode: 0, body: { message: 'the service did not answer: ' + error.message } } };
    }
    const shown = state.replies.get(id);
    if (shown) shown.reacted = reacted;
    redrawReactions(id);
  }

  // ---- handoff ----
  // People may have a conversation (`/human` until `/bot`): the service says so, the page shows it. Asked again when
  // the conversation is opened and when something arrives in it.

  let handoffAsked = 0;
  let handoffTimer = null;

  /** Once the messages of a burst (a backlog, say) have come: one question, not one a message. */
  function conversationChanged(key) {
    if (key !== state.current) return;
    clearTimeout(handoffTimer);
    handoffTimer = setTimeout(checkHandoff, 250);
  }

  async function checkHandoff() {
    const key = state.current;
    const asked = ++handoffAsked;
    const { type, id } = parseKey(key);
    let handedOff = false;
    try {
      const query = new URLSearchParams({ bot: state.bot, type, id });
      const response = await fetch('/sandbox/state?' + query);
      if (response.ok) handedOff = (await response.json()).handedOff === true;
    } catch {
      return; // the last answer stands
    }
    if (asked === handoffAsked && key === state.current) els.handoff.hidden = !handedOff;
  }

  function updateComposerHint() {
    const inGroup = state.current !== null && parseKey(state.current).type === 'group';
    const setting = currentBot().groupChatSetting;
    const mentioned = /(^|\s)@bot\b/i.test(els.text.value) || els.text.value.includes(botMentionToken());
    let hint = '';
    if (inGroup && setting === 'mentionedMessages' && els.text.value.trim() && !mentioned) {
      hint = 'The bot only gets group messages that mention it: add @bot, or the webhook answers "ignored · group-setting".';
    } else if (inGroup && setting === 'slashedMessages' && els.text.value.trim() && !els.text.value.trim().startsWith('/')) {
      hint = 'The bot only gets slash commands in groups (e.g. /help).';
    }
    els.composerHint.textContent = hint;
  }

  function insertAtCursor(snippet) {
    const { selectionStart: start, selectionEnd: end, value } = els.text;
    const before = value.slice(0, start);
    const spaced = (before && !/\s$/.test(before) ? ' ' : '') + snippet;
    els.text.value = before + spaced + value.slice(end);
    els.text.selectionStart = els.text.selectionEnd = start + spaced.length;
    els.text.focus();
    updateComposerHint();
  }

  // ---- live replies ----

  function connect() {
    const events = new EventSource('/sandbox/events');
    const setState = (value, label) => {
      els.connection.dataset.state = value;
      els.connection.textContent = label;
    };
    events.addEventListener('open', () => setState('live', 'live'));
    events.addEventListener('error', () => setState('down', 'reconnecting…'));
    events.addEventListener('reply', (event) => addReply(JSON.parse(event.data)));
    events.addEventListener('edit', (event) => editReply(JSON.parse(event.data)));
    events.addEventListener('sent', (event) => addSent(JSON.parse(event.data)));
    events.addEventListener('delete', (event) => deleteReply(JSON.parse(event.data)));
    events.addEventListener('sent-update', (event) => updateSent(JSON.parse(event.data)));
    events.addEventListener('reactions', (event) => setReactions(JSON.parse(event.data)));
  }

  // ---- start ----

  function bind() {
    els.meUid.value = state.me.uid;
    els.meName.value = state.me.name || '';
    els.meUid.addEventListener('change', () => {
      const uid = els.meUid.value.trim().toLowerCase();
      if (!UID.test(uid)) {
        els.meUid.value = state.me.uid;
        els.composerHint.textContent = 'A user id is 1-100 letters, digits, "_" or "-".';
        return;
      }
      const wasDirect = state.current === directKey(state.me.uid);
      setMe({ uid, name: els.meName.value.trim() });
      open(wasDirect ? directKey(uid) : state.current);
    });
    els.meName.addEventListener('change', () => setMe({ uid: state.me.uid, name: els.meName.value.trim() }));
    els.openGroup.addEventListener('submit', (event) => {
      event.preventDefault();
      const guid = els.groupId.value.trim().toLowerCase();
      if (!UID.test(guid)) {
        els.groupId.setCustomValidity('1-100 letters, digits, "_" or "-"');
        els.groupId.reportValidity();
        return;
      }
      els.groupId.setCustomValidity('');
      if (!state.groups.includes(guid)) state.groups.push(guid);
      store.set('groups', state.groups);
      els.groupId.value = '';
      open(groupKey(guid));
    });
    els.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = els.text.value;
      els.text.value = '';
      updateComposerHint();
      send(value);
    });
    els.text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        els.composer.requestSubmit();
      }
    });
    els.text.addEventListener('input', () => {
      els.text.style.height = 'auto';
      els.text.style.height = Math.min(els.text.scrollHeight, 160) + 'px';
      updateComposerHint();
    });
    els.mentionBot.addEventListener('click', () => insertAtCursor('@bot '));
    els.slashHelp.addEventListener('click', () => send('/help'));
    // As if the user typed /stop: the bot stops the answer it is writing in this conversation (or says nothing runs).
    els.stop.addEventListener('click', () => send('/stop'));
  }

  // ---- the AI Agent (AG-UI) tab ----
  // What CometChat's AI Agents do with a deployment URL: POST the whole thread as a RunAgentInput and read the
  // answer as server-sent events while it streams. The token is typed here and kept in this tab's session
  // storage only: the service never hands it to the page, in any mode.

  const agentEls = {
    tabBot: $('tab-bot'),
    tabAgent: $('tab-agent'),
    botView: $('bot-view'),
    agentView: $('agent-view'),
    endpoint: $('agent-endpoint'),
    path: $('agent-path'),
    token: $('agent-token'),
    tokenLabel: $('agent-token-label'),
    newThread: $('agent-new-thread'),
    thread: $('agent-thread'),
    messages: $('agent-messages'),
    composer: $('agent-composer'),
    text: $('agent-text'),
    send: $('agent-send'),
    stop: $('agent-stop'),
    status: $('agent-status'),
  };
  const TOKEN_KEY = 'cometchat-sandbox:agent-token';
  // Each bot of several has its own endpoint and token; one bot has the path and key it always had.
  const tokenKey = () => TOKEN_KEY + (several() ? ':' + state.bot : '');
  const agentPath = () => '/agents/ag-ui' + (several() ? '/' + encodeURIComponent(state.bot) : '');
  const newId = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
  const agent = { threadId: newId(), messages: [], run: null, bubbles: new Map(), tools: new Map() };

  function showTab(name) {
    const onAgent = name === 'agent';
    agentEls.tabBot.setAttribute('aria-selected', String(!onAgent));
    agentEls.tabAgent.setAttribute('aria-selected', String(onAgent));
    agentEls.botView.hidden = onAgent;
    agentEls.agentView.hidden = !onAgent;
    (onAgent ? agentEls.text : els.text).focus();
  }

  function agentStatus(state, message) {
    agentEls.status.dataset.state = state;
    agentEls.status.textContent = message;
  }

  function newThread() {
    agent.run?.abort();
    agent.threadId = newId();
    agent.messages = [];
    agentEls.messages.replaceChildren();
    agentEls.thread.textContent = 'thread ' + agent.threadId;
    agentStatus('idle', '');
  }

  function agentMessage(kind, author, mine) {
    const { li, body } = shell(kind, author, mine);
    li.classList.add('agent');
    agentEls.messages.append(li);
    agentEls.messages.scrollTop = agentEls.messages.scrollHeight;
    return body;
  }

  function onAgentEvent(event) {
    switch (event.type) {
      case 'RUN_STARTED':
        agentStatus('running', 'run started…');
        break;
      case 'TEXT_MESSAGE_START': {
        const bubble = text('div', '', 'bubble streaming');
        agentMessage('bot', several() ? state.bot : 'agent').append(bubble);
        agent.bubbles.set(event.messageId, bubble);
        agentStatus('streaming', 'streaming…');
        break;
      }
      case 'TEXT_MESSAGE_CONTENT': {
        const bubble = agent.bubbles.get(event.messageId);
        if (bubble) bubble.textContent += event.delta;
        agentEls.messages.scrollTop = agentEls.messages.scrollHeight;
        break;
      }
      case 'TEXT_MESSAGE_END': {
        const bubble = agent.bubbles.get(event.messageId);
        if (!bubble) break;
        bubble.classList.remove('streaming');
        agent.messages.push({ id: event.messageId, role: 'assistant', content: bubble.textContent });
        break;
      }
      case 'TOOL_CALL_START': {
        const node = document.createElement('div');
        node.className = 'tool-call';
        const args = text('code', '', 'tool-args');
        node.append(text('span', '🔧 ' + event.toolCallName, 'tool-name'), document.createTextNode(' '), args);
        agentMessage('bot', 'tool call').append(node);
        agent.tools.set(event.toolCallId, { node, args });
        break;
      }
      case 'TOOL_CALL_ARGS': {
        const tool = agent.tools.get(event.toolCallId);
        if (tool) tool.args.textContent += event.delta;
        break;
      }
      case 'TOOL_CALL_RESULT': {
        const tool = agent.tools.get(event.toolCallId);
        if (tool) tool.node.append(document.createElement('br'), text('span', '→ ' + event.content, 'tool-result'));
        break;
      }
      case 'RUN_FINISHED':
        agentStatus('finished', 'run finished');
        break;
      case 'RUN_ERROR':
        for (const bubble of agent.bubbles.values()) bubble.classList.remove('streaming');
        agentStatus('error', 'RUN_ERROR: ' + event.message + (event.code ? ' (' + event.code + ')' : ''));
        break;
    }
  }

  /** One server-sent event block: `data:` lines hold the event; `: ping` comments only keep the stream open. */
  function onAgentBlock(block) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) onAgentEvent(JSON.parse(data));
  }

  async function askAgent(value) {
    const token = agentEls.token.value.trim();
    if (!token) {
      agentStatus('error', several() ? 'Enter ' + state.bot + '’s agentToken first.' : 'Enter the service’s AGENT_TOKEN first.');
      agentEls.token.focus();
      return;
    }
    try {
      sessionStorage.setItem(tokenKey(), token);
    } catch {
      /* private mode: typed again next time */
    }
    const message = { id: newId(), role: 'user', content: value };
    agent.messages.push(message);
    agentMessage('sent', state.me.name || state.me.uid, true).append(text('div', value, 'bubble'));

    const run = new AbortController();
    agent.run = run;
    agentEls.send.disabled = true;
    agentEls.stop.hidden = false;
    agentStatus('running', 'sending…');
    const input = {
      threadId: agent.threadId,
      runId: newId(),
      messages: agent.messages.slice(),
      tools: [],
      context: [],
      state: {},
      forwardedProps: { user: { uid: state.me.uid, name: state.me.name || state.me.uid } },
    };
    try {
      const response = await fetch(agentPath(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer ' + token },
        body: JSON.stringify(input),
        signal: run.signal,
      });
      if (!response.ok) {
        let why = '';
        try {
          why = (await response.json()).message || '';
        } catch {
          /* not JSON */
        }
        agentStatus('error', 'HTTP ' + response.status + (why ? ' · ' + why : ''));
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          onAgentBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      if (buffer.trim()) onAgentBlock(buffer);
    } catch (error) {
      agentStatus(run.signal.aborted ? 'idle' : 'error', run.signal.aborted ? 'stopped' : 'the stream broke: ' + error.message);
    } finally {
      if (agent.run === run) agent.run = null;
      agentEls.send.disabled = false;
      agentEls.stop.hidden = true;
    }
  }

  function loadToken() {
    try {
      agentEls.token.value = sessionStorage.getItem(tokenKey()) || '';
    } catch {
      /* private mode */
    }
  }

  function bindAgent() {
    agentEls.tabBot.addEventListener('click', () => showTab('bot'));
    agentEls.tabAgent.addEventListener('click', () => showTab('agent'));
    loadToken();
    agentEls.newThread.addEventListener('click', newThread);
    agentEls.stop.addEventListener('click', () => agent.run?.abort());
    agentEls.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = agentEls.text.value.trim();
      if (!value || agent.run) return;
      agentEls.text.value = '';
      askAgent(value);
    });
    agentEls.text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        agentEls.composer.requestSubmit();
      }
    });
    newThread();
  }

  function showAgentEndpoint() {
    const on = currentBot().agentEndpoint;
    if (several()) {
      agentEls.tokenLabel.textContent = 'Bearer token (' + state.bot + '’s agentToken)';
      agentEls.token.placeholder = 'the agentToken of ' + state.bot + ' in BOTS_FILE';
      loadToken();
    }
    agentEls.path.textContent = agentPath();
    agentEls.endpoint.classList.toggle('off', !on);
    agentEls.endpoint.textContent = on
      ? 'POST ' + agentPath()
      : several()
        ? 'This bot has no AG-UI endpoint: give it an agentToken in BOTS_FILE.'
        : 'The AG-UI endpoint is off: set AGENT_TOKEN to turn it on.';
    agentEls.send.disabled = !on;
  }

  // ---- choosing the bot ----

  function setupBots() {
    const { session } = state;
    state.bots = session.bots || [{ uid: session.botUid, groupChatSetting: session.groupChatSetting, agentEndpoint: session.agentEndpoint }];
    if (!state.bots.some((bot) => bot.uid === state.bot)) state.bot = state.bots[0].uid;
    if (!several()) return;
    els.botPicker.replaceChildren(...state.bots.map((bot) => new Option(bot.uid, bot.uid, false, bot.uid === state.bot)));
    els.botPicker.addEventListener('change', () => chooseBot(els.botPicker.value));
    els.botPickerField.hidden = false;
  }

  /** What depends on the bot: its webhook path, group setting and agent endpoint. */
  function showBot() {
    els.webhookPath.textContent = '/webhooks/cometchat' + (several() ? '/' + state.bot : '');
    els.groupHint.textContent = groupSubtitle();
    showAgentEndpoint();
  }

  /** Talks to another bot: the same kind of conversation in its view, and a new agent thread (a thread is one bot's). */
  function chooseBot(uid) {
    const { type, id } = parseKey(state.current);
    state.bot = uid;
    store.set('bot', uid);
    showBot();
    newThread();
    open(type === 'group' ? groupKey(id) : directKey(state.me.uid));
  }

  async function start() {
    bind();
    bindAgent();
    try {
      const response = await fetch('/sandbox/session');
      if (response.ok) state.session = await response.json();
    } catch {
      /* defaults above */
    }
    setupBots();
    const live = state.session.mode === 'live';
    els.mode.className = 'mode' + (live ? ' live' : '');
    els.mode.textContent = live
      ? 'Live mode: replies are sent to CometChat for real (and fail for users that do not exist there).'
      : 'Sandbox mode: replies stay in the local outbox; nothing is sent to CometChat.';
    showBot();
    open(directKey(state.me.uid));
    connect();
  }

  start();
})();
