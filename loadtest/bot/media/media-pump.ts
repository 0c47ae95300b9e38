/**
 * Sends one bot's media: Opus every 20 ms and each simulcast layer's VP8 at
 * 30 fps, from the shared loop. Timestamps follow the ideal capture clock;
 * a late timer sends what is due at once, as a capturer's queue would. Video
 * goes through a pacer; audio does not wait for it.
 */
import { randomInt } from 'node:crypto';
import { RtpHeader, RtpPacket, type MediaStreamTrack } from 'werift';
import { OPUS_FRAME_MS, type MediaLoop } from './media-loop.ts';
import { vp8Payload } from './vp8-rtp.ts';
import { VIDEO_FPS } from './vp8-frames.ts';

export interface SentCounters { packets: number; bytes: number }

export interface MediaPump {
  /** Next frame of this layer (index into the loop's layers) is a key frame. */
  requestKeyFrame(layer: number): void;
  /**
   * Sends only layers 0..highest (-1: no video), as the SFU asks with
   * sendVideo and maxSpatialLayer; a layer that starts again starts with a key frame.
   */
  setHighestLayer(highest: number): void;
  readonly sent: { audio: SentCounters; video: SentCounters[] };
  stop(): void;
}

interface StreamState { track: MediaStreamTrack; seq: number; timestamp: number; sent: SentCounters }

function stream(track: MediaStreamTrack): StreamState {
  return { track, seq: randomInt(0x10000), timestamp: randomInt(0x100000000), sent: { packets: 0, bytes: 0 } };
}

function send(s: StreamState, payload: Buffer, marker: boolean, timestamp: number): void {
  // werift sets the SSRC and payload type of its sender.
  s.track.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: s.seq, timestamp: timestamp >>> 0, marker }), payload));
  s.seq = (s.seq + 1) & 0xffff;
  s.sent.packets++;
  s.sent.bytes += payload.length;
}

/** As libwebrtc's pacer: video leaves at 2.5 times its bitrate, so a key frame is spread over tens of milliseconds. */
const PACING_FACTOR = 2.5;
const PACER_TICK_MS = 5;
const MAX_BURST_BYTES = 2400;

interface Queued { stream: StreamState; payload: Buffer; marker: boolean; timestamp: number }

export function startMediaPump(loop: MediaLoop, tracks: { audio?: MediaStreamTrack; video?: MediaStreamTrack[] }): MediaPump {
  const audio = tracks.audio ? stream(tracks.audio) : undefined;
  const video = (tracks.video ?? []).map((track, i) => ({
    ...stream(track), loop: loop.layers[i], frame: 0, pictureId: randomInt(0x8000),
  }));
  const started = performance.now();
  let audioFrames = 0;
  let videoFrames = 0;
  let highest = video.length - 1;
  const queue: Queued[] = [];
  let budget = 0;
  let lastTick = started;

  const audioTimer = audio && setInterval(() => {
    const due = Math.floor((performance.now() - started) / OPUS_FRAME_MS);
    for (; audioFrames < due; audioFrames++) {
      send(audio, loop.opusFrame, false, audio.timestamp);
      audio.timestamp += 48 * OPUS_FRAME_MS;
    }
  }, OPUS_FRAME_MS);

  const captureDueFrames = (now: number) => {
    const due = Math.floor(((now - started) * VIDEO_FPS) / 1000);
    if (due - videoFrames > 3) videoFrames = due - 1; // a stalled process drops frames, as an encoder would
    for (; videoFrames < due; videoFrames++) {
      for (const [layer, v] of video.entries()) {
        if (layer > highest) continue;
        const chunks = v.loop.frames[v.frame];
        chunks.forEach((chunk, i) => queue.push({ stream: v, payload: vp8Payload(chunk, i === 0, v.pictureId), marker: i === chunks.length - 1, timestamp: v.timestamp }));
        v.pictureId = (v.pictureId + 1) & 0x7fff;
        v.timestamp += 90_000 / VIDEO_FPS;
        v.frame = (v.frame + 1) % v.loop.frames.length;
      }
    }
  };

  const videoTimer = video.length > 0 && setInterval(() => {
    const now = performance.now();
    captureDueFrames(now);
    const bitrate = video.reduce((n, v, layer) => n + (layer <= highest ? v.loop.layer.bitrateBps : 0), 0);
    budget = Math.min(MAX_BURST_BYTES, budget + ((now - lastTick) * PACING_FACTOR * bitrate) / 8000);
    lastTick = now;
    while (queue.length > 0 && budget > 0) {
      const q = queue.shift()!;
      send(q.stream, q.payload, q.marker, q.timestamp);
      budget -= q.payload.length;
    }
  }, PACER_TICK_MS);

  return {
    requestKeyFrame(layer) {
      const v = video[layer];
      if (v) v.frame = 0;
    },
    setHighestLayer(layer) {
      for (let i = highest + 1; i <= layer && i < video.length; i++) video[i].frame = 0;
      highest = layer;
    },
    sent: { audio: audio?.sent ?? { packets: 0, bytes: 0 }, video: video.map((v) => v.sent) },
    stop() {
      if (audioTimer) clearInterval(audioTimer);
      if (videoTimer) clearInterval(videoTimer);
    },
  };
}
