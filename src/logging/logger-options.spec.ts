import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { createRootLogger, loggerParams, pinoLevel, pinoOptions } from './logger-options';

/** A destination that keeps what pino writes. */
function sink(): DestinationStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

const json = (out: ReturnType<typeof sink>) =>
  out
    .text()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe('logger options', () => {
  it('maps LOG_LEVEL to pino levels, verbose to trace', () => {
    expect(['fatal', 'error', 'warn', 'info', 'debug', 'verbose'].map((level) => pinoLevel(level as never))).toEqual([
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
    ]);
    expect(pinoOptions({ LOG_LEVEL: 'verbose', LOG_FORMAT: 'json' }).level).toBe('trace');
  });

  it('writes JSON lines: ISO time to the millisecond, the level by name, the message under msg, the fields beside', () => {
    const out = sink();
    const logger = createRootLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, out);
    logger.info({ context: 'Test', replyId: 'reply-1-0', status: 200 }, 'send');
    logger.debug('not at info');
    const [line, ...rest] = json(out);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 'info', msg: 'send', context: 'Test', replyId: 'reply-1-0', status: 200 });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('prints each level from LOG_LEVEL up, and nothing below it', () => {
    const out = sink();
    const logger = createRootLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }, out);
    logger.info('no');
    logger.warn('yes');
    logger.error('yes');
    expect(json(out).map((line) => line.level)).toEqual(['warn', 'error']);
  });

  it('redacts credentials in anything logged whole: headers, an axios error, a password field', () => {
    const out = sink();
    const logger = createRootLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, out);
    logger.info({ req: { headers: { authorization: 'Basic c2VjcmV0', cookie: 'session=secret', host: 'bot' } } }, 'a request');
    logger.info({ err: { config: { headers: { apikey: 'secret-api-key' } } } }, 'an axios error');
    logger.info({ headers: { apikey: 'secret-api-key' }, options: { password: 'secret-password' }, apikey: 'secret-api-key' }, 'a config');
    expect(out.text()).not.toMatch(/secret|c2VjcmV0/);
    const [request, axios, config] = json(out);
    expect(request.req.headers).toEqual({ authorization: '[Redacted]', cookie: '[Redacted]', host: 'bot' });
    expect(axios.err.config.headers.apikey).toBe('[Redacted]');
    expect(config).toMatchObject({ headers: { apikey: '[Redacted]' }, options: { password: '[Redacted]' }, apikey: '[Redacted]' });
  });

  it('LOG_FORMAT=pretty writes lines for a person, not JSON', () => {
    const out = sink();
    const logger = createRootLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' }, out);
    logger.info({ context: 'Webhook', status: 200, authorization: 'Basic c2VjcmV0' }, 'webhook request');
    const [first, ...fields] = out.text().trimEnd().split('\n');
    expect(first).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Webhook: webhook request$/);
    expect(() => JSON.parse(first)).toThrow();
    expect(fields.map((f) => f.trim())).toEqual(['status: 200', 'authorization: "[Redacted]"']);
  });

  it('gives nestjs-pino the root logger, without its per-request middleware', () => {
    const params = loggerParams({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' });
    expect(params.forRoutes).toEqual([]);
    expect(params.pinoHttp).toMatchObject({ autoLogging: false, logger: expect.objectContaining({ level: 'debug' }) });
  });
});
