import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpErrorBody } from '../common/http-error.filter';

/**
 * A webhook route's onRequest hook: before the body is read, a compressed body is refused (415); it would otherwise
 * fail as bad JSON, a misleading 400. A callback hook, not an async one: no promise on every callback's path.
 */
export function identityOnly(request: FastifyRequest, reply: FastifyReply, next: () => void): void {
  const encoding = request.headers['content-encoding'];
  if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') return next();
  reply.code(415).send(httpErrorBody(415, `Content-Encoding ${encoding} is not accepted; send the JSON uncompressed`));
}
