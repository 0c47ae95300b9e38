// The demo's visit page: one participant (provider or patient) in a visit,
// over the SDK served at /sdk/visitwire-sdk.js. Tests read window.visitState
// and may call window.visit; people use the buttons.
import { joinVisit } from '/sdk/visitwire-sdk.js';

const $ = (id) => document.getElementById(id);
const ROLE_NAMES = { provider: 'Provider', nurse: 'Nurse', patient: 'Patient' };

/** What the page shows, as plain data (for tests and for debugging from the console). */
const state = {
  phase: 'starting', // starting | joined | left | denied | failed
  role: null,
  participantId: null,
  admission: null,
  /** participantId -> { role, userId, video, audio, videoPaused, audioPaused, firstFrameAt } */
  participants: {},
  waiting: [],
  published: { audio: false, video: false },
  muted: { audio: false, video: false },
  interrupted: false,
  /** How many times the SDK rejoined after an interruption. */
  rejoins: 0,
  /** The SDK's connectionState, and how many times it resumed after a dropped connection. */
  connectionState: 'connected',
  resumes: 0,
  /** participantIds seen reconnecting (their connection dropped, media went on). */
  reconnecting: [],
  errors: [],
  /** Date.now() of milestones. */
  marks: {},
  /** Adaptation signals as they arrived: videoPaused, videoResumed, layersChanged, networkQuality. */
  signals: [],
  /** This participant's own network quality, and whether the SFU stopped its video. */
  quality: null,
  ownVideoStopped: false,
};
window.visitState = state;

const token = new URLSearchParams(location.search).get('token');
let localStream = null;
let visit = null;

function setStatus(text) { $('status').textContent = text; }
function notice(text, kind = 'info') {
  const el = $('notice');
  el.hidden = !text;
  el.textContent = text ?? '';
  el.dataset.kind = kind;
}
function fail(message) {
  state.errors.push(message);
  console.error(message);
}

// ---- tiles ----

function tileOf(p) {
  let tile = document.querySelector(`.tile[data-participant="${p.participantId}"]`);
  if (tile) return tile;
  tile = document.createElement('figure');
  tile.className = 'tile remote';
  tile.dataset.participant = p.participantId;
  tile.innerHTML = '<video autoplay playsinline muted></video><audio autoplay></audio>' +
    '<figcaption></figcaption><span class="badge" data-badge="audio" hidden>mic off</span>' +
    '<span class="badge quality" data-badge="quality" hidden></span>' +
    '<div class="placeholder">No video</div>';
  tile.querySelector('figcaption').textContent = `${ROLE_NAMES[p.role] ?? p.role} · ${p.userId}`;
  if (visit?.self.role === 'provider') {
    const full = Object.assign(document.createElement('button'), { type: 'button', className: 'full-quality', textContent: 'Full quality' });
    full.setAttribute('aria-pressed', 'false');
    full.addEventListener('click', async () => {
      const on = full.getAttribute('aria-pressed') !== 'true';
      try {
        await visit.requestFullQuality(p.participantId, on);
        full.setAttribute('aria-pressed', String(on));
      } catch (err) { fail(`full quality: ${err.code ?? ''} ${err.message}`); }
    });
    tile.append(full);
  }
  $('tiles').append(tile);
  return tile;
}

function attach(remote) {
  const p = state.participants[remote.participantId] ??=
    { role: 'participant', userId: remote.participantId, video: false, audio: false, videoPaused: false, audioPaused: false };
  const tile = tileOf({ participantId: remote.participantId, ...p });
  const el = tile.querySelector(remote.kind);
  el.srcObject = new MediaStream([remote.track]);
  p[remote.kind] = true;
  if (remote.kind === 'video') {
    tile.classList.add('has-video');
    tile.stopObserving?.();
    tile.stopObserving = visit.observeVideoSize(el, remote.participantId);
    el.requestVideoFrameCallback?.(() => {
      p.firstFrameAt ??= Date.now();
      state.marks.firstRemoteFrame ??= p.firstFrameAt;
      if (state.rejoins > 0) state.marks.firstRemoteFrameAfterRejoin ??= p.firstFrameAt;
    });
  }
  el.play().catch(() => {
    // Browsers may refuse sound until the user interacts with the page.
    if (remote.kind === 'audio') $('enable-sound').hidden = false;
  });
  setPaused(remote.participantId, remote.kind, remote.paused);
}

function detach(remote) {
  const tile = document.querySelector(`.tile[data-participant="${remote.participantId}"]`);
  const p = state.participants[remote.participantId];
  if (p) p[remote.kind] = false;
  if (!tile) return;
  const el = tile.querySelector(remote.kind);
  if (el.srcObject?.getTracks().includes(remote.track)) el.srcObject = null;
  if (remote.kind === 'video') tile.classList.remove('has-video');
}

function setPaused(participantId, kind, paused) {
  const p = state.participants[participantId];
  if (!p || !kind) return;
  p[`${kind}Paused`] = paused;
  const tile = document.querySelector(`.tile[data-participant="${participantId}"]`);
  if (!tile) return;
  if (kind === 'audio') tile.querySelector('[data-badge="audio"]').hidden = !paused;
  else tile.classList.toggle('video-paused', paused);
}

// ---- adaptation signals ----

const PAUSE_TEXT = {
  bandwidth: 'Video paused: weak connection. Audio continues.',
  'sender-network': 'Video paused: their network is weak. Audio continues.',
  muted: 'Camera off',
};

function onVideoState(paused, e) {
  state.signals.push({ type: paused ? 'videoPaused' : 'videoResumed', at: Date.now(), ...e });
  const self = visit.self.participantId;
  if (e.participantId === self) {
    if (e.reason === 'sender-network') {
      state.ownVideoStopped = paused;
      notice(paused ? 'Your network cannot carry video right now: audio continues, video comes back when it recovers.' : null, 'warn');
    }
    return;
  }
  // Someone else's video: shown paused here when it stopped for everyone or for this viewer.
  if (e.viewerId && e.viewerId !== self) return;
  const p = state.participants[e.participantId];
  if (p) p.videoPausedReason = paused ? e.reason : null;
  const tile = document.querySelector(`.tile[data-participant="${e.participantId}"]`);
  if (!tile) return;
  tile.classList.toggle('video-paused', paused);
  tile.querySelector('.placeholder').textContent = paused ? PAUSE_TEXT[e.reason] ?? 'Video paused' : 'No video';
}

function onQuality({ participantId, quality }) {
  state.signals.push({ type: 'networkQuality', at: Date.now(), participantId, quality });
  if (participantId === visit.self.participantId) { state.quality = quality; return; }
  const p = state.participants[participantId];
  if (p) p.quality = quality;
  const badge = document.querySelector(`.tile[data-participant="${participantId}"] [data-badge="quality"]`);
  if (!badge) return;
  badge.hidden = quality === 'excellent' || quality === 'good';
  badge.textContent = `network ${quality}`;
}

// ---- waiting room (providers and nurses) ----

function renderWaiting(waiting) {
  state.waiting = waiting.map((p) => ({ ...p }));
  const list = $('waiting-list');
  list.replaceChildren(...waiting.map((p) => {
    const li = document.createElement('li');
    li.dataset.participant = p.participantId;
    const name = document.createElement('span');
    name.textContent = `${ROLE_NAMES[p.role] ?? p.role} · ${p.userId}`;
    const admit = Object.assign(document.createElement('button'), { type: 'button', className: 'primary', textContent: 'Admit' });
    admit.dataset.action = 'admit';
    const deny = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Deny' });
    deny.dataset.action = 'deny';
    for (const b of [admit, deny]) {
      b.addEventListener('click', async () => {
        admit.disabled = deny.disabled = true;
        try {
          if (b === admit) { state.marks.admitClicked = Date.now(); await visit.admit(p.participantId); } else await visit.deny(p.participantId);
        } catch (err) {
          fail(`${b.dataset.action}: ${err.code ?? ''} ${err.message}`);
          admit.disabled = deny.disabled = false;
        }
      });
    }
    li.append(name, admit, deny);
    return li;
  }));
  $('waiting-empty').hidden = waiting.length > 0;
}

// ---- local media and controls ----

async function openLocalMedia() {
  const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video });
  } catch (err) {
    try {
      const audioOnly = await navigator.mediaDevices.getUserMedia({ audio: true });
      notice(`Camera unavailable (${err.message}); joining with audio only.`, 'warn');
      return audioOnly;
    } catch (err2) {
      notice(`Camera and microphone unavailable (${err2.message}); you can see and hear the others.`, 'warn');
      return null;
    }
  }
}

async function publish() {
  if (!localStream || state.published.audio || state.published.video) return;
  try {
    const local = await visit.publish({ audio: localStream.getAudioTracks()[0], video: localStream.getVideoTracks()[0] });
    state.published = { audio: !!local.audio, video: !!local.video };
    state.marks.published = Date.now();
  } catch (err) {
    fail(`publish: ${err.code ?? ''} ${err.message}`);
    notice(`Could not send your camera and microphone: ${err.message}`, 'error');
  }
}

function renderMuted() {
  const a = $('mute-audio');
  const v = $('mute-video');
  a.textContent = state.muted.audio ? 'Unmute' : 'Mute';
  a.setAttribute('aria-pressed', String(state.muted.audio));
  v.textContent = state.muted.video ? 'Start video' : 'Stop video';
  v.setAttribute('aria-pressed', String(state.muted.video));
  $('local-tile').querySelector('[data-badge="audio"]').hidden = !state.muted.audio;
  $('local-tile').classList.toggle('video-paused', state.muted.video);
}

async function toggleMute(kind) {
  const muted = !state.muted[kind];
  state.muted[kind] = muted;
  renderMuted();
  try {
    await visit.setMuted(kind, muted);
  } catch (err) {
    fail(`setMuted ${kind}: ${err.code ?? ''} ${err.message}`);
  }
}

async function leave() {
  $('leave').disabled = true;
  await visit.leave();
  ended('left', 'You left the visit.');
}

function ended(phase, text) {
  state.phase = phase;
  for (const t of localStream?.getTracks() ?? []) t.stop();
  $('local-video').srcObject = null;
  setStatus(text);
  for (const id of ['mute-audio', 'mute-video', 'leave']) $(id).disabled = true;
  for (const tile of document.querySelectorAll('.tile.remote')) tile.remove();
  $('local-tile').hidden = true;
  $('waiting-panel').hidden = true;
  // A patient who left (or lost the connection) may come back with the same link; a denied one may not.
  $('rejoin').hidden = phase === 'denied';
  notice(text, phase === 'left' ? 'info' : 'warn');
}

// ---- the visit ----

function wire(v) {
  v.on('participantJoined', (p) => {
    state.participants[p.participantId] = { role: p.role, userId: p.userId, video: false, audio: false, videoPaused: false, audioPaused: false };
    tileOf(p);
  });
  v.on('participantLeft', ({ participantId }) => {
    delete state.participants[participantId];
    document.querySelector(`.tile[data-participant="${participantId}"]`)?.remove();
  });
  v.on('track', attach);
  v.on('trackEnded', detach);
  v.on('producerPaused', ({ participantId, kind }) => setPaused(participantId, kind, true));
  v.on('producerResumed', ({ participantId, kind }) => setPaused(participantId, kind, false));
  v.on('waitingRoom', ({ waiting }) => renderWaiting(waiting));
  v.on('videoPaused', (e) => onVideoState(true, e));
  v.on('videoResumed', (e) => onVideoState(false, e));
  v.on('networkQuality', onQuality);
  v.on('layersChanged', (e) => {
    state.signals.push({ type: 'layersChanged', at: Date.now(), ...e });
    const p = state.participants[e.participantId];
    if (p) [p.layer, p.temporalLayer] = [e.spatialLayer, e.temporalLayer];
  });
  v.on('admission', ({ admission }) => {
    state.admission = admission;
    if (admission === 'admitted') {
      state.marks.admitted = Date.now();
      notice(null);
      setStatus('In the visit');
      void publish();
    } else if (admission === 'denied') {
      ended('denied', 'The provider could not admit you to this visit.');
    }
  });
  v.on('connectionStateChanged', ({ state: now, reason }) => {
    state.connectionState = now;
    if (now === 'resuming') notice('Reconnecting… (audio and video go on)', 'warn');
    if (now === 'connected' && reason === 'resumed') {
      state.resumes += 1;
      notice(null);
    }
  });
  v.on('participantReconnecting', ({ participantId }) => state.reconnecting.push(participantId));
  v.on('interrupted', ({ reason }) => {
    state.interrupted = true;
    state.marks.interrupted = Date.now();
    notice(`Connection to the visit lost (${reason}); reconnecting…`, 'warn');
  });
  v.on('rejoined', ({ admission }) => {
    state.interrupted = false;
    state.rejoins += 1;
    state.marks.rejoined = Date.now();
    state.admission = admission;
    notice(admission === 'waiting' ? 'You are in the waiting room. The provider will let you in shortly.' : null);
  });
  v.on('closed', ({ reason }) => {
    if (reason === 'failed' && state.phase === 'joined') ended('failed', 'The connection to the visit was lost.');
  });
  v.on('error', (err) => fail(`${err.code}: ${err.message}`));
}

async function main() {
  if (!token) {
    notice('This link has no token. Create a visit on the start page.', 'error');
    setStatus('No token');
    state.phase = 'failed';
    return;
  }
  localStream = await openLocalMedia();
  if (localStream) $('local-video').srcObject = localStream;
  setStatus('Joining…');
  try {
    visit = await joinVisit({ url: location.origin, token });
  } catch (err) {
    fail(`join: ${err.code ?? ''} ${err.message}`);
    notice(`Could not join the visit: ${err.message} (${err.code ?? 'error'})`, 'error');
    setStatus('Not joined');
    state.phase = 'failed';
    return;
  }
  window.visit = visit;
  wire(visit);
  Object.assign(state, { phase: 'joined', role: visit.self.role, participantId: visit.self.participantId, admission: visit.admission });
  state.marks.joined = Date.now();
  $('role').textContent = ROLE_NAMES[visit.self.role] ?? visit.self.role;
  $('role').classList.add(visit.self.role);
  $('waiting-panel').hidden = !['provider', 'nurse'].includes(visit.self.role);
  for (const id of ['mute-audio', 'mute-video', 'leave']) $(id).disabled = false;
  $('mute-video').disabled = !localStream?.getVideoTracks().length;
  $('mute-audio').disabled = !localStream?.getAudioTracks().length;
  if (visit.admission === 'admitted') {
    setStatus('In the visit');
    await publish();
  } else {
    setStatus('Waiting room');
    notice('You are in the waiting room. The provider will let you in shortly.');
  }
}

$('mute-audio').addEventListener('click', () => void toggleMute('audio'));
$('mute-video').addEventListener('click', () => void toggleMute('video'));
$('leave').addEventListener('click', () => void leave());
$('rejoin').addEventListener('click', () => location.reload());
$('enable-sound').addEventListener('click', () => {
  for (const el of document.querySelectorAll('audio')) el.play().catch(() => undefined);
  $('enable-sound').hidden = true;
});

main().catch((err) => {
  fail(`page: ${err.stack ?? err}`);
  notice(`Something went wrong: ${err.message}`, 'error');
});
