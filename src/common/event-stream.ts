import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * Takes the reply out of Fastify's hands and opens a Server-Sent Events stream on it: the headers sent at once,
 * nothing cached or buffered on the way (nginx and its kind buffer responses by default). The raw response is
 * the caller's to write to and end.
 */
export function openEventStream(reply: FastifyReply): ServerResponse {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.flushHeaders();
  return raw;
}
