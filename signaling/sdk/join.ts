import { VisitError, toVisitError } from './errors.ts';
import { resolveOptions, type JoinOptions } from './options.ts';
import { MediaSession } from './session.ts';
import { Signal } from './signal.ts';
import { Visit } from './visit.ts';

/**
 * Connects to a visit with a token and joins it. Resolves once joined (a
 * patient may still be waiting: see `visit.admission` and the `admission`
 * event); rejects with a VisitError (the server's code, or TIMEOUT). Events for
 * participants and tracks already in the visit follow right after it resolves.
 */
export async function joinVisit(options: JoinOptions): Promise<Visit> {
  const o = resolveOptions(options);
  const signal = await Signal.connect(o);
  try {
    const reply = await signal.request('join', {});
    const session = await MediaSession.create(signal, reply.routerRtpCapabilities, o.iceServers);
    return new Visit(signal, o, reply, session);
  } catch (err) {
    signal.close();
    throw err instanceof VisitError ? err : toVisitError(err);
  }
}
