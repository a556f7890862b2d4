/**
 * `/stop`: the user asks the bot to stop the answer it is writing. Recognised as it arrives (the text with the bot's
 * mentions removed), so that it reaches the running turn at once rather than waiting in line behind it.
 */
export const isStopRequest = (text: string | undefined): boolean => text !== undefined && /^\/stop\s*$/i.test(text.trim());
