/**
 * Jest's Node environment, stricter about promises: a rejection that nobody handled when Node looked (the moment
 * that ends a real process under Node's default --unhandled-rejections=throw) fails the test it happened in, even
 * when a handler is attached a tick later. jest-circus alone forgives that once the rejection is handled, so a bug
 * that kills `node dist/main.js` could pass every test.
 */
const { TestEnvironment } = require('jest-environment-node');

class StrictEnvironment extends TestEnvironment {
  unhandled = [];

  handleTestEvent(event, state) {
    // jest-circus reports each unhandled rejection as an 'error' event carrying its promise.
    if (event.name === 'error' && event.promise) this.unhandled.push(event.error);
    if (event.name === 'test_done' && this.unhandled.length) event.test.errors.push(this.failure());
    if (event.name === 'run_finish' && this.unhandled.length) state.unhandledErrors.push(this.failure());
  }

  failure() {
    const reasons = this.unhandled.splice(0);
    const error = new Error(
      `unhandled promise rejection (would end the process): ${reasons.map((r) => (r instanceof Error ? r.message : String(r))).join('; ')}`,
    );
    const first = reasons.find((r) => r instanceof Error);
    if (first?.stack) error.stack = `${error.message}\n${first.stack.split('\n').slice(1).join('\n')}`;
    return error;
  }
}

module.exports = StrictEnvironment;
