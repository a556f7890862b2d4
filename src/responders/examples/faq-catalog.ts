import { readFileSync } from 'node:fs';

export interface FaqEntry {
  keywords: string[];
  answer: string;
}

/** Keyword → answer pairs from a JSON file, checked once at startup so a broken file stops the boot. */
export class FaqCatalog {
  private readonly entries: Array<{ words: Set<string>; answer: string }>;

  constructor(entries: FaqEntry[]) {
    this.entries = entries.map((e) => ({ words: new Set(e.keywords.map((k) => k.toLowerCase())), answer: e.answer }));
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
        (e) =>
          typeof e?.answer === 'string' &&
          Array.isArray(e?.keywords) &&
          e.keywords.length > 0 &&
          e.keywords.every((k: unknown) => typeof k === 'string'),
      );
    if (!valid) throw new Error(`FAQ_FILE ${path}: expected [{ "keywords": ["…"], "answer": "…" }, …]`);
    return new FaqCatalog(parsed as FaqEntry[]);
  }

  /** The answer of the first entry with a keyword among the text's words, if any. */
  answer(text: string): string | undefined {
    const words = new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
    return this.entries.find((e) => [...e.words].some((w) => words.has(w)))?.answer;
  }
}
