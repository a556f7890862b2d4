import { callClassOf } from './cometchat-metrics.interceptor';

describe('callClassOf', () => {
  it.each([
    [200, '2xx'],
    [201, '2xx'],
    [302, '3xx'],
    [400, '4xx'],
    [404, '4xx'],
    [408, '4xx'],
    [429, '429'],
    [500, '5xx'],
    [503, '5xx'],
    [undefined, 'network'],
  ])('classes %s as %s', (status, expected) => {
    expect(callClassOf(status)).toBe(expected);
  });
});
