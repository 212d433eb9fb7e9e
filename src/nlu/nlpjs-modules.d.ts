// NLP.js ships plain JavaScript without type declarations; these cover only the parts Wasl calls.

declare module '@nlpjs/lang-ar' {
  /** Snowball Arabic stemmer; `stemWord` is synchronous and pure. */
  export class StemmerAr {
    constructor(container?: unknown);
    stemWord(word: string): string;
    stem(tokens: string[]): string[];
  }
  export class LangAr {}
}

declare module '@nlpjs/core' {
  export interface Container {
    use(plugin: unknown): void;
  }
  export function containerBootstrap(): Promise<Container>;
}

declare module '@nlpjs/nlp' {
  export interface NlpClassification {
    intent: string;
    score: number;
  }
  export interface NlpProcessResult {
    intent: string;
    score: number;
    classifications: NlpClassification[];
  }
  export class Nlp {
    constructor(settings: Record<string, unknown>);
    addDocument(locale: string, utterance: string, intent: string): void;
    train(): Promise<void>;
    process(locale: string, utterance: string): Promise<NlpProcessResult>;
    nluManager: unknown;
  }
}
