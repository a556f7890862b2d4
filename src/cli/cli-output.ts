const MASK = '********';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where commands print. Every line passes through the redactor, so a secret (the webhook password, the API
 * key, the password CometChat echoes back) cannot reach a terminal or a CI log even inside an error body.
 */
export class CliOutput {
  private readonly secrets = new Set<string>();

  constructor(
    private readonly stdout: (text: string) => void = (text) => process.stdout.write(text),
    private readonly stderr: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  /** Never print this value; too-short values are ignored (masking "a" would mangle every line). */
  addSecret(value: unknown): void {
    if (typeof value !== 'string' || value.length < 4) return;
    this.secrets.add(value);
    // As it appears inside a printed JSON body, when it has characters JSON escapes.
    this.secrets.add(JSON.stringify(value).slice(1, -1));
  }

  redact(text: string): string {
    // Longest first, so a secret that contains another is masked whole.
    const secrets = [...this.secrets].sort((a, b) => b.length - a.length);
    return secrets.reduce((out, secret) => out.replace(new RegExp(escapeRegExp(secret), 'g'), MASK), text);
  }

  line(text = ''): void {
    this.stdout(`${this.redact(text)}\n`);
  }

  error(text: string): void {
    this.stderr(`${this.redact(text)}\n`);
  }
}
