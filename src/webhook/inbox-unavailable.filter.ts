import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { MessageNotStoredError } from '../queue/events.producer';

/** Seconds a caller should wait before redelivering when the queue is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/** A message that could not be stored is a 503 with Retry-After, so CometChat delivers it again later. */
@Catch(MessageNotStoredError)
export class InboxUnavailableFilter implements ExceptionFilter {
  catch(_: MessageNotStoredError, host: ArgumentsHost): void {
    const statusCode = HttpStatus.SERVICE_UNAVAILABLE;
    host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(statusCode)
      .header('retry-after', String(RETRY_AFTER_SECONDS))
      .send({
        statusCode,
        error: STATUS_CODES[statusCode],
        message: 'Message not stored: the queue is unavailable; retry later',
      });
  }
}
