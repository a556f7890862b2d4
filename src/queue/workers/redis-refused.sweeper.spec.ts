import { refusedByRedis } from './redis-refused.sweeper';

describe('refusedByRedis', () => {
  it('tells a Redis refusal or a lost connection from a failure of the work itself', () => {
    for (const reason of [
      "OOM command not allowed when used memory > 'maxmemory'.",
      "READONLY You can't write against a read only replica.",
      'CLUSTERDOWN The cluster is down',
      'MOVED 3999 127.0.0.1:6381',
      'Connection is closed.',
      "Stream isn't writeable and enableOfflineQueue options is false",
      'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
    ]) {
      expect(refusedByRedis(reason)).toBe(true);
    }
    for (const reason of [
      'the knowledge base is down',
      'CometChat answered 404: no such user',
      'CometChat failing for 1800 s, past the retry budget; last: CometChat unreachable: ECONNREFUSED',
      undefined,
      '',
    ]) {
      expect(refusedByRedis(reason)).toBe(false);
    }
  });
});
