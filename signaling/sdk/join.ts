import { VisitError, toVisitError } from './errors.ts';
import { resolveOptions, type JoinOptions } from './options.ts';
import { findRoute } from './route.ts';
import { MediaSession } from './session.ts';
import { Signal } from './signal.ts';
import { browserSupport, unsupportedReason } from './support.ts';
import { Visit } from './visit.ts';

/**
 * Connects to a visit with a token and joins it: through the edge router
 * (`routerUrl`) or straight to a node (`url`). Resolves once joined (a
 * patient may still be waiting: see `visit.admission` and the `admission`
 * event); rejects with a VisitError (the server's code, or TIMEOUT; or
 * UNSUPPORTED_BROWSER, with the reason, before any server is contacted). Events
 * for participants and tracks already in the visit follow right after it resolves.
 */
export async function joinVisit(options: JoinOptions): Promise<Visit> {
  const unsupported = unsupportedReason(browserSupport());
  if (unsupported) throw new VisitError('UNSUPPORTED_BROWSER', unsupported);
  let url = options?.url;
  let routeIceServers: RTCIceServer[] | undefined;
  let nodeId: string | undefined;
  if (options?.routerUrl && typeof options.token === 'string') {
    const route = await findRoute(options.routerUrl, options.token, options.connectTimeoutMs ?? 15_000);
    url = route.signalingUrl;
    routeIceServers = route.iceServers;
    nodeId = route.nodeId;
  }
  const o = resolveOptions({ ...options, url: url as string, routeIceServers });
  const signal = await Signal.connect(o);
  try {
    const reply = await signal.request('join', {});
    const session = await MediaSession.create(signal, reply, o);
    return new Visit(signal, o, reply, session, nodeId);
  } catch (err) {
    signal.close();
    throw err instanceof VisitError ? err : toVisitError(err);
  }
}
