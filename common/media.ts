/**
 * Media facts that the SFU (sfu/) and the signaling protocol (signaling/protocol.ts)
 * both speak of. The SFU does not import signaling; both import these.
 */

export const MEDIA_SOURCES = ['microphone', 'camera', 'screen'] as const;
export type MediaSource = (typeof MEDIA_SOURCES)[number];

export type MediaKind = 'audio' | 'video';

/** What a client needs to open a WebRTC transport to the SFU. */
export interface TransportInfo {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}

/** What a client needs to receive a producer. */
export interface ConsumerInfo {
  consumerId: string;
  producerId: string;
  participantId: string;
  kind: MediaKind;
  rtpParameters: unknown;
  producerPaused: boolean;
}

export type NetworkQuality = 'excellent' | 'good' | 'poor' | 'lost';
export type VideoPauseReason = 'bandwidth' | 'sender-network' | 'muted';
export interface VideoStateEvent { participantId: string; producerId: string; viewerId?: string; reason: VideoPauseReason }

/** Events the media plane's adaptation sends to participants. */
export interface MediaEvents {
  /**
   * A participant's video stopped reaching someone. `viewerId` set: only that viewer's network
   * (`bandwidth`); unset: every viewer (`sender-network`: the publisher's uplink; `muted`).
   * Sent to the viewer(s) and to the publisher.
   */
  videoPaused: VideoStateEvent;
  videoResumed: VideoStateEvent;
  /** The layer this viewer receives of a video changed (by bandwidth, rendered size or the publisher's layers). */
  layersChanged: { participantId: string; consumerId: string; spatialLayer: number; temporalLayer: number; reason: 'bandwidth' | 'viewport' | 'publisher-layers' };
  /** How well a participant's network carries the visit, as the SFU sees it. */
  networkQuality: { participantId: string; quality: NetworkQuality };
  /** To a publisher: stop or restart sending a video producer (uplink audio-only fallback). */
  sendVideo: { producerId: string; enabled: boolean; reason: 'sender-network' };
  /** To a publisher: the highest simulcast layer anyone receives; higher layers need not be sent. */
  maxSpatialLayer: { producerId: string; spatialLayer: number };
}
