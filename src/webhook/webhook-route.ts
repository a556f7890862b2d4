import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { httpErrorBody } from '../common/http-error.filter';
import { JsonSchema, strictValidatorCompiler } from './callback-schema';

/**
 * A webhook route's onRequest hook: before the body is read, a compressed body is refused (415); it would otherwise
 * fail as bad JSON, a misleading 400. A callback hook, not an async one: no promise on every callback's path.
 */
export function identityOnly(request: FastifyRequest, reply: FastifyReply, next: () => void): void {
  const encoding = request.headers['content-encoding'];
  if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') return next();
  reply.code(415).send(httpErrorBody(415, `Content-Encoding ${encoding} is not accepted; send the JSON uncompressed`));
}

/**
 * A webhook's routes at `url`: POST with the body's schema checked by the webhook's own ajv (the refusal attached, for
 * the handler to word after the credentials), compressed bodies refused, `answered` once each answer is sent; every
 * other method 405. `posts`: what CometChat posts there, for the 405's message.
 */
export function webhookRoute(
  fastify: FastifyInstance,
  {
    url,
    body,
    answered,
    handler,
    posts,
  }: {
    url: string;
    body: JsonSchema;
    answered: (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;
    handler: RouteHandlerMethod;
    posts: string;
  },
): void {
  fastify.route({
    method: 'POST',
    url,
    schema: { body },
    validatorCompiler: strictValidatorCompiler,
    attachValidation: true,
    onRequest: identityOnly,
    onResponse: answered,
    handler,
  });
  fastify.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url,
    onResponse: answered,
    handler: async (request, reply) => {
      reply.code(405).header('allow', 'POST');
      return httpErrorBody(405, `${request.method} is not allowed here; CometChat POSTs its ${posts}`);
    },
  });
}
