import { CliOutput } from './cli-output';

describe('CliOutput', () => {
  it('masks every secret in everything it prints, also inside JSON', () => {
    const printed: string[] = [];
    const output = new CliOutput(
      (t) => printed.push(t),
      (t) => printed.push(t),
    );
    output.addSecret('pa"ss-word');
    output.addSecret('abc'); // too short to mask safely
    output.line('password=pa"ss-word');
    output.error(JSON.stringify({ password: 'pa"ss-word', user: 'abc' }));
    expect(printed).toEqual(['password=********\n', '{"password":"********","user":"abc"}\n']);
  });
});
