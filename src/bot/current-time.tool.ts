import { z } from 'zod';
import { LlmTool, LlmToolProvider } from '../llm';

const input = z.object({
  timeZone: z.string().describe('An IANA time zone such as Europe/Paris; UTC when the user names none').default('UTC'),
});

/** An example tool: models do not know the time. Copy it for your own (an order lookup, a ticket, a search). */
@LlmTool({
  name: 'current_time',
  description: 'The current date and time in a time zone.',
  inputSchema: input,
})
export class CurrentTimeTool implements LlmToolProvider<z.infer<typeof input>> {
  execute({ timeZone }: z.infer<typeof input>) {
    try {
      return { timeZone, now: new Date().toLocaleString('en-GB', { timeZone, dateStyle: 'full', timeStyle: 'long' }) };
    } catch {
      return { error: `unknown time zone ${timeZone}` };
    }
  }
}
