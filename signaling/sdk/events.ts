import type { Admission, LeaveReason, NetworkQuality, ParticipantInfo, ServerEvents, VideoStateEvent } from '../protocol.ts';
import type { VisitError } from './errors.ts';

export type MediaKind = 'audio' | 'video';

/** A remote participant's track, ready to attach to a `<video>` or `<audio>` element. */
export interface RemoteTrack {
  participantId: string;
  kind: MediaKind;
  track: MediaStreamTrack;
  consumerId: string;
  producerId: string;
  /** The sender has muted it (see `producerPaused` / `producerResumed`). */
  paused: boolean;
}

/** Why the visit's media was lost for a while; the SDK rejoins by itself and then emits `rejoined`. */
export type InterruptReason = 'media-worker-died' | 'disconnected' | 'transport-failed' | 'node-failed';

/** The visit's connection: see `Visit.connectionState`. */
export type ConnectionState = 'connected' | 'resuming' | 'rejoining' | 'migrating' | 'closed';

/** Every event a Visit emits, with its payload. */
export interface VisitEvents {
  /** Someone was admitted to the visit (also emitted, right after `joinVisit`, for those already in it). */
  participantJoined: ParticipantInfo;
  participantLeft: { participantId: string; reason: LeaveReason };
  /** A remote track arrived; attach it now (the SDK resumes the stream right after this event). */
  track: RemoteTrack;
  trackEnded: RemoteTrack;
  /** This participant's admission changed: a waiting patient was admitted or denied. */
  admission: { admission: Admission };
  /** For providers and nurses: who is waiting to be admitted. */
  waitingRoom: { waiting: ParticipantInfo[] };
  producerPaused: { participantId: string; producerId: string; kind?: MediaKind };
  producerResumed: { participantId: string; producerId: string; kind?: MediaKind };
  /** `connectionState` changed; `reason` says why (`disconnected`, `resumed`, `rejoined`, `media-worker-died`, `transport-failed`, or the close reason). */
  connectionStateChanged: { state: ConnectionState; reason: string };
  /** Someone's connection dropped; their media goes on while they reconnect. */
  participantReconnecting: { participantId: string };
  /** They are back, same participant. */
  participantReconnected: { participantId: string };
  /** Media was lost (a media worker died, a transport failed, the connection stayed down past the resume grace); the SDK is rejoining. */
  interrupted: { reason: InterruptReason };
  /** Back in the visit after `interrupted`; published tracks are published again. */
  rejoined: { admission: Admission };
  /** The visit is over for this participant: left, denied, replaced (the same user joined elsewhere), or the SDK could not rejoin. */
  closed: { reason: 'left' | 'denied' | 'replaced' | 'failed' };
  error: VisitError;
  /**
   * A participant's video stopped reaching someone, and why: `bandwidth` (the viewer's
   * network, `viewerId` says whose), `sender-network` (the publisher's uplink: every
   * viewer), `muted`. Audio goes on. Emitted to the viewers and to the publisher.
   */
  videoPaused: VideoStateEvent;
  videoResumed: VideoStateEvent;
  /** The simulcast layer this participant receives of someone's video changed. */
  layersChanged: ServerEvents['layersChanged'];
  /** How well a participant's network carries the visit: excellent, good, poor or lost. */
  networkQuality: { participantId: string; quality: NetworkQuality };
}
