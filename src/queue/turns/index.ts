export { EventTurns } from './event-turns';
export { IngestTurns } from './ingest-turns';
export type { IngestClaim, IngestMessage } from './ingest-turns';
export { ReplyTurns } from './reply-turns';
export type { TurnRecord } from './reply-turns';
export type { AbsorbedEntry, Behind, WaitingEntry } from './turn-coalescer';
export { MAX_BATCH } from './turn-coalescer';
export type { Entered } from './turn-sequencer';
