import { ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';

/** The service's error answer: `{statusCode, error, message}`. */
export const httpErrorBody = (statusCode: number, message: string) => ({ statusCode, error: STATUS_CODES[statusCode], message });

/**
 * Fastify rejects bad JSON, oversize bodies and foreign content types before the route runs, and Nest turns
 * those into bare `{statusCode, message}` answers; this gives every HTTP error the same
 * `{statusCode, error, message}` shape.
 */
@Catch(HttpException)
export class HttpErrorFilter extends BaseExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const body = typeof response === 'string' ? httpErrorBody(statusCode, response) : { statusCode, error: STATUS_CODES[statusCode], ...response };
    (this.applicationRef ?? this.httpAdapterHost!.httpAdapter).reply(host.switchToHttp().getResponse(), body, statusCode);
  }
}
