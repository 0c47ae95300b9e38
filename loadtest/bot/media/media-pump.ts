/**
 * Sends one bot's media: Opus every 20 ms and each simulcast layer's VP8 at
 * 30 fps, from the shared loop. Timestamps follow the ideal capture clock;
 * a late timer sends what is due at once, as a capturer's queue would.
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

function send(s: StreamState, payload: Buffer, marker: boolean): void {
  // werift sets the SSRC and payload type of its sender.
  s.track.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: s.seq, timestamp: s.timestamp >>> 0, marker }), payload));
  s.seq = (s.seq + 1) & 0xffff;
  s.sent.packets++;
  s.sent.bytes += payload.length;
}

export function startMediaPump(loop: MediaLoop, tracks: { audio?: MediaStreamTrack; video?: MediaStreamTrack[] }): MediaPump {
  const audio = tracks.audio ? stream(tracks.audio) : undefined;
  const video = (tracks.video ?? []).map((track, i) => ({
    ...stream(track), loop: loop.layers[i], frame: 0, pictureId: randomInt(0x8000),
  }));
  const started = performance.now();
  let audioFrames = 0;
  let videoFrames = 0;
  let highest = video.length - 1;

  const audioTimer = audio && setInterval(() => {
    const due = Math.floor((performance.now() - started) / OPUS_FRAME_MS);
    for (; audioFrames < due; audioFrames++) {
      send(audio, loop.opusFrame, false);
      audio.timestamp += 48 * OPUS_FRAME_MS;
    }
  }, OPUS_FRAME_MS);

  const videoTimer = video.length > 0 && setInterval(() => {
    const due = Math.floor(((performance.now() - started) * VIDEO_FPS) / 1000);
    for (; videoFrames < due; videoFrames++) {
      for (const [layer, v] of video.entries()) {
        if (layer > highest) continue;
        const chunks = v.loop.frames[v.frame];
        chunks.forEach((chunk, i) => send(v, vp8Payload(chunk, i === 0, v.pictureId), i === chunks.length - 1));
        v.pictureId = (v.pictureId + 1) & 0x7fff;
        v.timestamp += 90_000 / VIDEO_FPS;
        v.frame = (v.frame + 1) % v.loop.frames.length;
      }
    }
  }, 1000 / VIDEO_FPS);

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
