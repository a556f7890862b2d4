import { feedbackOf } from './feedback';

describe('feedbackOf', () => {
  it('reads 👍 and 👎 in any skin tone, with or without the presentation selector; other reactions are no feedback', () => {
    expect(['👍', '👍🏻', '👍🏿', '👍\u{FE0F}'].map(feedbackOf)).toEqual(['up', 'up', 'up', 'up']);
    expect(['👎', '👎🏽'].map(feedbackOf)).toEqual(['down', 'down']);
    expect(['❤️', '😂', '👍👍', ''].map(feedbackOf)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
