import { notInBacklog } from './sandbox-event-stream.service';
import type { SandboxFeedItem, SandboxReply, SandboxSentMessage } from './sandbox-outbox.service';

const reply = (id: string, text: string, editedAt?: number): SandboxReply => ({
  id,
  sender: 'support-bot',
  receiver: 'alice',
  receiverType: 'user',
  conversationId: 'alice_user_support-bot',
  category: 'message',
  type: 'text',
  data: { text },
  muid: `reply-${id}-0`,
  sentAt: 1_700_000_000,
  ...(editedAt === undefined ? {} : { editedAt }),
});
const stored = (id: string, text: string, editedAt?: number): SandboxFeedItem => ({ kind: 'reply', seq: id, item: reply(id, text, editedAt) });
const edit = (id: string, text: string): SandboxFeedItem => ({ kind: 'edit', seq: id, item: reply(id, text, 1_700_000_002) });
const sent = (seq: string): SandboxFeedItem => ({ kind: 'sent', seq, item: { seq, id: seq, text: 'hi' } as SandboxSentMessage });

/** What a page that connects while a streamed answer is edited is sent after the backlog (the race of its first read). */
describe('notInBacklog', () => {
  it('drops a reply or page message the backlog holds, by kind and seq', () => {
    expect(notInBacklog([stored('10', 'a'), sent('11')], [stored('10', 'a'), sent('11'), stored('12', 'b'), sent('13')])).toEqual([
      stored('12', 'b'),
      sent('13'),
    ]);
  });

  it('never drops an edit because the backlog holds its reply: the edit that came after the read goes', () => {
    // The backlog was read before the edit: it holds the reply as posted.
    expect(notInBacklog([stored('10', 'First.')], [edit('10', 'First. Second.')])).toEqual([edit('10', 'First. Second.')]);
  });

  it('sends only the newest edit of a reply, and none when the backlog holds the reply as that edit left it', () => {
    const waiting = [edit('10', 'First. Second.'), edit('10', 'First. Second. Third.')];
    expect(notInBacklog([stored('10', 'First.')], waiting)).toEqual([edit('10', 'First. Second. Third.')]);
    expect(notInBacklog([stored('10', 'First. Second. Third.', 1_700_000_002)], waiting)).toEqual([]);
  });

  it('keeps a reply that came during the read before its edit', () => {
    expect(notInBacklog([], [stored('10', 'First.'), edit('10', 'First. Second.')])).toEqual([stored('10', 'First.'), edit('10', 'First. Second.')]);
  });

  it("treats a page message changed, a reply deleted and a reply's reactions as edits are treated: the newest change goes", () => {
    const sentAs = (seq: string, text: string, deletedAt?: number): SandboxSentMessage =>
      ({ seq, id: seq, text, ...(deletedAt ? { deletedAt } : {}) }) as SandboxSentMessage;
    const heldSent: SandboxFeedItem = { kind: 'sent', seq: '11', item: sentAs('11', 'hi') };
    const edited: SandboxFeedItem = { kind: 'sent-update', seq: '11', item: sentAs('11', 'hello') };
    const deleted: SandboxFeedItem = { kind: 'sent-update', seq: '11', item: sentAs('11', 'hello', 1_700_000_005) };
    expect(notInBacklog([heldSent], [edited])).toEqual([edited]);
    expect(notInBacklog([heldSent], [edited, deleted])).toEqual([deleted]);
    expect(notInBacklog([{ kind: 'sent', seq: '11', item: deleted.item }], [edited, deleted])).toEqual([]);

    const gone: SandboxFeedItem = { kind: 'delete', seq: '10', item: { ...reply('10', 'a'), deletedAt: 1_700_000_006 } };
    expect(notInBacklog([stored('10', 'a')], [edit('10', 'a b'), gone])).toEqual([gone]);

    const liked: SandboxFeedItem = { kind: 'reactions', seq: '10', item: { id: '10', reactions: [] } };
    expect(notInBacklog([stored('10', 'a')], [liked])).toEqual([liked]);
    expect(notInBacklog([stored('10', 'a'), liked], [liked])).toEqual([]);
  });
});
