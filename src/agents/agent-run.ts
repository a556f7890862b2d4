import type { AGUIEvent, RunAgentInput } from '@ag-ui/core';
import type { RespondOptions, TurnOutcome } from '../responders';
import { RunEvents, RunStoppedError } from './ag-ui-events';
import type { AgentTurn } from './run-agent-input';

export interface AgentRunOptions {
  input: RunAgentInput;
  turn: AgentTurn;
  /** The registry's respond() with the event and state bound: the same routing as the bot path. */
  respond: (options: RespondOptions) => Promise<TurnOutcome>;
  /** Gets every AG-UI event in order; the caller writes it (SSE) or keeps it (the test kit). */
  emit: (event: AGUIEvent) => void;
  /** Aborted when the client goes away or the service stops: the responder's ctx.signal fires and the run ends at once. */
  signal: AbortSignal;
  newId?: () => string;
}

/**
 * One run of the agent path: RUN_STARTED, the responder's streamed parts as they come (or, for a responder that
 * does not stream, each reply as a text message), then RUN_FINISHED; a failure ends it with RUN_ERROR. Never
 * rejects: resolves with the error, if any, for the caller to log.
 */
export async function runAgentTurn({ input, turn, respond, emit, signal, newId }: AgentRunOptions): Promise<{ error?: unknown }> {
  const events = new RunEvents(input, newId);
  const send = (list: AGUIEvent[]) => list.forEach(emit);
  send(events.started());
  let streamed = false;
  // A responder that ignores its signal is not waited for: the run ends when the signal fires.
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason ?? new RunStoppedError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const outcome = await Promise.race([
      respond({
        path: 'agent',
        history: turn.history,
        signal,
        onPart: (part) => {
          streamed = true;
          send(events.part(part));
        },
      }),
      aborted,
    ]);
    if (!streamed) for (const reply of outcome.replies) send(events.reply(reply));
    send(events.finished());
    return {};
  } catch (error) {
    send(events.failed(error));
    return { error };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
