import type { Channel } from '@touchstream/contracts';
import { sessionIdFor, touchIdFor } from './ids';
import { compareByTime, type PageViewFact } from './page-view';
import type { SessionSettings } from './settings';

export interface DetectedTouch {
  touchId: string;
  messageId: string;
  sessionId: string;
  at: number;
  channel: Channel;
}

export interface Session {
  sessionId: string;
  openerMessageId: string;
  startAt: number;
  endAt: number;
  views: number;
  touches: DetectedTouch[];
}

function inTimeOrder(views: readonly PageViewFact[]): readonly PageViewFact[] {
  for (let i = 1; i < views.length; i++) {
    if (compareByTime(views[i - 1] as PageViewFact, views[i] as PageViewFact) > 0) return [...views].sort(compareByTime);
  }
  return views;
}

/**
 * Cuts one visitor's page views into sessions and finds the touches:
 * a session ends after `timeoutMs` without a view or once it has lasted `maxDurationMs`; a view
 * is a touch when it opens a session, or brings campaign parameters or a click id different
 * from the session's current source (the session is not split). Internal navigation is never a
 * touch, not even as an opener. Views are distinct by messageId; any order gives the same result.
 */
export function sessionize(views: readonly PageViewFact[], settings: SessionSettings): Session[] {
  const sessions: Session[] = [];
  walkSessions(views, settings, (view, opener, opens, touch) => {
    if (opens) {
      const sessionId = sessionIdFor(opener.messageId);
      sessions.push({ sessionId, openerMessageId: opener.messageId, startAt: view.at, endAt: view.at, views: 0, touches: [] });
    }
    const session = sessions[sessions.length - 1] as Session;
    session.views += 1;
    session.endAt = view.at;
    if (touch) session.touches.push(detected(view, session.sessionId));
  });
  return sessions;
}

/** The touches among a visitor's page views, in time order (sessionize without building the sessions). */
export function detectTouches(views: readonly PageViewFact[], settings: SessionSettings): DetectedTouch[] {
  const touches: DetectedTouch[] = [];
  walkSessions(views, settings, (view, opener, _opens, touch) => {
    if (touch) touches.push(detected(view, sessionIdFor(opener.messageId)));
  });
  return touches;
}

function detected(view: PageViewFact, sessionId: string): DetectedTouch {
  return { touchId: touchIdFor(view.messageId), messageId: view.messageId, sessionId, at: view.at, channel: view.channel as Channel };
}

/** The session cut in one pass: `visit` gets each view in time order, its session's opener, and whether it opens the session or is a touch. */
function walkSessions(
  views: readonly PageViewFact[],
  settings: SessionSettings,
  visit: (view: PageViewFact, opener: PageViewFact, opens: boolean, touch: boolean) => void,
): void {
  let opener: PageViewFact | null = null;
  let lastAt = 0;
  let currentSignature: string | null = null;
  for (const view of inTimeOrder(views)) {
    const opens = opener === null || view.at - lastAt > settings.timeoutMs || view.at - opener.at >= settings.maxDurationMs;
    if (opens) {
      opener = view;
      currentSignature = null;
    }
    lastAt = view.at;
    const touch = !view.internal && view.channel !== null && (opens || (view.signature !== null && view.signature !== currentSignature));
    if (touch) currentSignature = view.signature;
    visit(view, opener as PageViewFact, opens, touch);
  }
}
