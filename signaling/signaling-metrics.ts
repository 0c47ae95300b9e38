import { toErrorBody } from '../common/errors.ts';
import { counter, histogram, startAtZero } from '../common/metrics.ts';

/** Signaling's Prometheus metrics: requests and their errors by message and code, join latency, admissions, connections. */
const requests = counter('visitwire_signaling_requests_total', 'Signaling requests answered, by message', ['message']);
const errors = counter('visitwire_signaling_errors_total', 'Signaling requests answered with an error, by message and error code', ['message', 'code']);
const joinSeconds = histogram('visitwire_join_duration_seconds', 'From a join request to its answer (a patient\'s answer says "waiting")', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
const admissions = counter('visitwire_admission_decisions_total', 'Waiting-room decisions by staff: admit or deny', ['decision']);
const refused = counter('visitwire_signaling_connections_refused_total', 'Signaling connections refused at the handshake, by error code', ['code']);
export const connectionsOpened = counter('visitwire_signaling_connections_total', 'Signaling connections accepted');
startAtZero(admissions, [{ decision: 'admit' }, { decision: 'deny' }]);
startAtZero(refused, [{ code: 'UNAUTHORIZED' }, { code: 'TOKEN_EXPIRED' }]);

/** Counts and times one request; returns its outcome unchanged. */
export function observeRequest<T>(message: string, outcome: Promise<T>): Promise<T> {
  const started = performance.now();
  const done = (code?: string) => {
    requests.inc({ message });
    if (code) errors.inc({ message, code });
    if (message === 'join') joinSeconds.observe((performance.now() - started) / 1000);
    if (!code && (message === 'admit' || message === 'deny')) admissions.inc({ decision: message });
  };
  outcome.then(() => done(), (err: unknown) => done(toErrorBody(err).code));
  return outcome;
}

export function connectionRefused(code: string): void {
  refused.inc({ code });
}
