/** The feedback a reaction gives, when it is one: 👍 `up`, 👎 `down` (any skin tone). */
export type Feedback = 'up' | 'down';

export function feedbackOf(emoji: string): Feedback | undefined {
  // Skin tones (U+1F3FB–U+1F3FF) and the emoji presentation selector do not change what the reaction says.
  const bare = emoji.replace(/\u{FE0F}|[\u{1F3FB}-\u{1F3FF}]/gu, '');
  return bare === '👍' ? 'up' : bare === '👎' ? 'down' : undefined;
}
