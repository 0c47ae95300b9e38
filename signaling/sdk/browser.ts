/**
 * The visitwire browser SDK (bundled to dist/visitwire-sdk.js, served at /sdk/visitwire-sdk.js):
 *
 *   const visit = await joinVisit({ url, token });
 *   visit.on('track', ({ participantId, kind, track }) => { ... });
 *   await visit.publish({ audio: true, video: true });
 */
export { joinVisit } from './join.ts';
export { Visit, type PublishOptions, type LocalTracks } from './visit.ts';
export { VisitError, type VisitErrorCode } from './errors.ts';
export type { JoinOptions } from './options.ts';
export type { VisitEvents, RemoteTrack, MediaKind, InterruptReason } from './events.ts';
export type { Admission, ParticipantInfo, Role } from '../protocol.ts';
export { SIMULCAST_ENCODINGS } from './simulcast.ts';
