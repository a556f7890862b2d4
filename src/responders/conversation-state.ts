/** Per-conversation key/value state for responders. Values are stored as JSON. */
export interface ConversationState {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set<T = unknown>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The JSON a value is stored as; `undefined` has none, so it is refused (delete() is the way to clear). */
export function encodeStateValue(field: string, value: unknown): string {
  if (value === undefined) throw new Error(`state "${field}": use delete() rather than storing undefined`);
  return JSON.stringify(value);
}

/** State kept in memory: for the test kit and anything else that needs no Redis. */
export class InMemoryConversationState implements ConversationState {
  readonly values = new Map<string, string>();

  async get<T>(key: string): Promise<T | undefined> {
    const raw = this.values.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async set<T>(key: string, value: T): Promise<void> {
    // Stored as JSON, like the Redis store, so a test sees exactly what would survive a round trip.
    this.values.set(key, encodeStateValue(key, value));
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }

  /** Everything stored, decoded: for assertions. */
  snapshot(): Record<string, unknown> {
    return Object.fromEntries([...this.values].map(([k, v]) => [k, JSON.parse(v)]));
  }
}
