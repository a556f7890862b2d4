import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { httpErrorBody } from './http-error.filter';

/** How much of an oversize body is read (and dropped) so the client can read its 413, before giving up on it. */
const DRAIN_FACTOR = 16;
const DRAIN_MS = 10_000;

const tooLarge = (limit: number) => httpErrorBody(413, `Request body is too large (the limit is ${limit} bytes)`);
const declaredLength = (request: IncomingMessage) => Number(request.headers['content-length']);

/**
 * A body over the limit gets a 413 the client can read. Answered at once, the client would still be sending and
 * meet a closed connection (a broken pipe, with Node's fetch and http.request from about 2 MB). So a client that
 * asks first (`Expect: 100-continue`) is told 413 without sending the body, and one that sends it has it read and
 * dropped (bounded) before the answer. A body without a declared length is cut off by Fastify's own limit.
 */
export function answerOversizeBodiesReadably(fastify: FastifyInstance, server: Server, limit: number): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    if (declaredLength(request) > limit) {
      response.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      response.end(JSON.stringify(tooLarge(limit)));
      return;
    }
    response.writeContinue();
    server.emit('request', request, response);
  });

  // A callback hook, not an async one: no promise on every request's path.
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, next: () => void) => {
    if (!(declaredLength(request.raw) > limit)) return next();
    drain(request.raw, limit * DRAIN_FACTOR)
      .then(() => reply.code(413).header('connection', 'close').send(tooLarge(limit)))
      .catch(() => request.raw.destroy()); // the answer could not be written: the connection goes
  });
}

/** Reads the request to its end (or up to `max` bytes, or DRAIN_MS), dropping what it reads. */
function drain(request: IncomingMessage, max: number): Promise<void> {
  return new Promise((resolve) => {
    let read = 0;
    const timer = setTimeout(done, DRAIN_MS);
    function done() {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', done);
      request.off('error', done);
      resolve();
    }
    function onData(chunk: Buffer) {
      read += chunk.length;
      if (read > max) done();
    }
    request.on('data', onData);
    request.once('end', done);
    request.once('error', done);
    request.resume();
  });
}
