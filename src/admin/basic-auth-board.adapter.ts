import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginCallback } from 'fastify';
import { basicChallenge, BasicCredentials } from '../common/basic-auth';

export const ADMIN_REALM = basicChallenge('cometchat-bot admin');

/**
 * Bull Board's Fastify adapter with Basic Auth in front of everything the board serves: pages, API and static
 * files. An onRequest hook in the board's own plugin context, rather than Nest middleware (which needs
 * @fastify/middie on every request, the webhook's included, and which the app runs without): other routes never
 * see it. A class, as @bull-board/nestjs builds the adapter itself with `new`.
 */
export function basicAuthBoardAdapter(credentials: BasicCredentials) {
  return class BasicAuthBoardAdapter extends FastifyAdapter {
    override registerPlugin(): FastifyPluginCallback {
      const board = super.registerPlugin();
      return (fastify, options, done) => {
        // Added before the board's routes and plugins, so each of them inherits it.
        fastify.addHook('onRequest', async (request, reply) => {
          if (credentials.accepts(request.headers.authorization)) return;
          return reply
            .code(401)
            .header('www-authenticate', ADMIN_REALM)
            .send({ statusCode: 401, error: 'Unauthorized', message: 'Missing or invalid Basic Auth credentials' });
        });
        board(fastify, options, done);
      };
    }
  };
}
