/** Who joins which visit when: the run's plan, with each participant's token. */
import { randomBytes } from 'node:crypto';
import type { Role } from '../common/roles.ts';
import { mintToken } from '../common/tokens.ts';
import type { LoadtestOptions, Profile } from './options.ts';

export interface ParticipantPlan {
  botId: string;
  visitId: string;
  role: Role;
  token: string;
  publish: { audio: boolean; video: boolean };
  /** When to join, ms after the run starts. */
  startAtMs: number;
}

export interface VisitPlan {
  visitId: string;
  participants: ParticipantPlan[];
}

const ROLES: Record<Profile, Role[]> = {
  'two-party': ['provider', 'patient'],
  'three-party': ['provider', 'nurse', 'patient'],
  'audio-only': ['provider', 'patient'],
};

/** Media kinds every participant of a profile receives from each other participant. */
export function expectedKinds(profile: Profile): Array<'audio' | 'video'> {
  return profile === 'audio-only' ? ['audio'] : ['audio', 'video'];
}

/** Visits in join order; participants join one after another at `ramp` per second, the provider first. */
export async function planRun(o: LoadtestOptions, runId = randomBytes(3).toString('hex')): Promise<VisitPlan[]> {
  const roles = ROLES[o.profile];
  const ttlSeconds = Math.ceil(o.duration) + 3600;
  const publish = { audio: true, video: o.profile !== 'audio-only' };
  let joinIndex = 0;
  const visits: VisitPlan[] = [];
  for (let v = 0; v < o.visits; v++) {
    const visitId = `lt-${runId}-v${v}`;
    const participants = await Promise.all(roles.map(async (role, i) => ({
      botId: `${visitId}-${role}`,
      visitId,
      role,
      token: await mintToken(o.secret, { visit: visitId, user: `lt-${runId}-u${v}-${i}`, role, ttlSeconds }),
      publish,
      startAtMs: Math.round(((joinIndex + i) * 1000) / o.ramp),
    })));
    joinIndex += roles.length;
    visits.push({ visitId, participants });
  }
  return visits;
}
