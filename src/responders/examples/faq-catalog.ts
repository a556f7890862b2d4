import { readFileSync } from 'node:fs';

export interface FaqEntry {
  keywords: string[];
  answer: string;
}

/** Lowercase words joined by single spaces, padded, so a phrase is found only as whole words. */
const words = (text: string) => ` ${(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).join(' ')} `;

/** Keyword → answer pairs from a JSON file, checked once at startup so a broken file stops the boot. */
export class FaqCatalog {
  private readonly entries: Array<{ phrases: string[]; answer: string }>;

  constructor(entries: FaqEntry[]) {
    // A keyword may be a phrase ("opening hours") or contain punctuation ("e-mail"): compared word by word.
    this.entries = entries.map((e) => ({ phrases: e.keywords.map(words).filter((p) => p.trim()), answer: e.answer }));
  }

  static fromFile(path: string): FaqCatalog {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`FAQ_FILE ${path}: ${(error as Error).message}`);
    }
    const valid =
      Array.isArray(parsed) &&
      parsed.every(
        (e: { answer?: unknown; keywords?: unknown } | null | undefined) =>
          typeof e?.answer === 'string' &&
          Array.isArray(e?.keywords) &&
          e.keywords.length > 0 &&
          e.keywords.every((k: unknown) => typeof k === 'string'),
      );
    if (!valid) throw new Error(`FAQ_FILE ${path}: expected [{ "keywords": ["…"], "answer": "…" }, …]`);
    return new FaqCatalog(parsed as FaqEntry[]);
  }

  /** The answer of the first entry one of whose keywords appears in the text as whole words, if any. */
  answer(text: string): string | undefined {
    const haystack = words(text);
    return this.entries.find((e) => e.phrases.some((p) => haystack.includes(p)))?.answer;
  }
}
