/** What `joinVisit` needs from the page; plain data, so the check is testable anywhere. */
export interface BrowserSupport {
  isSecureContext?: boolean;
  hasPeerConnection: boolean;
  hasGetUserMedia: boolean;
}

/** The page this SDK runs in. */
export function browserSupport(g: typeof globalThis = globalThis): BrowserSupport {
  const nav = (g as { navigator?: Navigator }).navigator;
  return {
    isSecureContext: (g as { isSecureContext?: boolean }).isSecureContext,
    hasPeerConnection: typeof (g as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function',
    hasGetUserMedia: typeof nav?.mediaDevices?.getUserMedia === 'function',
  };
}

/**
 * Why the SDK cannot serve this browser, or undefined when it can. Browsers
 * hide getUserMedia (and some WebRTC) outside a secure context (https, or
 * http on localhost/127.0.0.1), so that reason comes first.
 */
export function unsupportedReason(s: BrowserSupport): string | undefined {
  if (s.isSecureContext === false) return 'not a secure context: open the page over https (or on localhost)';
  if (!s.hasPeerConnection) return 'this browser has no RTCPeerConnection (WebRTC is missing or disabled)';
  if (!s.hasGetUserMedia) return 'this browser has no navigator.mediaDevices.getUserMedia (camera and microphone access)';
  return undefined;
}
