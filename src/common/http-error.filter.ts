import { ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';

interface FastifyHttpError {
  statusCode: number;
  message: string;
}

const isFastifyHttpError = (e: unknown): e is FastifyHttpError =>
  !(e instanceof HttpException) &&
  typeof e === 'object' &&
  e !== null &&
  typeof (e as FastifyHttpError).statusCode === 'number' &&
  (e as FastifyHttpError).statusCode >= 400 &&
  (e as FastifyHttpError).statusCode < 500;

/**
 * Fastify rejects bad JSON, oversize bodies and foreign content types before Nest sees the request; this
 * gives those answers the same `{statusCode, error, message}` shape as every other error.
 */
@Catch()
export class HttpErrorFilter extends BaseExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (!isFastifyHttpError(exception)) return super.catch(exception, host);
    const { statusCode, message } = exception;
    (this.applicationRef ?? this.httpAdapterHost!.httpAdapter).reply(
      host.switchToHttp().getResponse(),
      { statusCode, error: STATUS_CODES[statusCode], message },
      statusCode,
    );
  }
}
