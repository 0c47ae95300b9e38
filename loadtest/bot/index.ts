/**
 * A werift WebRTC participant that speaks visitwire signaling: see README.md
 * ("The bot") for the API and what each measure means.
 */
export { connectBot, type Bot, type BotOptions } from './bot.ts';
export { BotError } from './errors.ts';
export type { BotMetrics, BotState, SubscriptionMetrics } from './metrics.ts';
export { SIMULCAST_LAYERS, VIDEO_FPS, type VideoLayer } from './media/vp8-frames.ts';
export { OPUS_FRAME_BYTES, OPUS_FRAME_MS } from './media/media-loop.ts';
