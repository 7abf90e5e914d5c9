import { useCallback, useEffect, useRef, useState } from "react";
import { createEventStream } from "./create-event-stream.js";
import { EventStreamError } from "./event-stream-error.js";
import type { EventStream, EventStreamOptions } from "./event-stream.js";
import type { ActionMessage, AnyEvent, UntypedEvents } from "./event-types.js";
import type { StreamStatus } from "./stream-source.js";

/**
 * `@eventwire/client/react`: `useEventStream`, a stream tied to a component's life. React is an
 * optional peer dependency of `@eventwire/client`; only this entry imports it.
 */

export interface UseEventStreamResult<Events extends object, State> {
  /** The reducer's state (or, without a reducer, the last events received). */
  state: State;
  status: StreamStatus;
  /** Why the stream is reconnecting or stopped, if it is. */
  error: EventStreamError | undefined;
  /** The stream's `send` (WebSocket), or a rejection while there is no stream. Stable across renders. */
  send: <Result = unknown>(message: ActionMessage) => Promise<Result>;
  /** The live stream, for anything else (`lastEventId`, `on`); undefined before the effect runs. */
  stream: EventStream<Events> | undefined;
}

export interface RecentEventsOptions {
  /** How many of the most recent events `state` keeps. Default 100. */
  maxEvents?: number;
}

/**
 * Opens a stream while the component is mounted and folds its events into state.
 *
 * - `options`: as {@link createEventStream}; `null` or `undefined` opens nothing (e.g. until a
 *   session id is known). The stream is reopened when `url`, `transport`, `session`, `events`,
 *   `include`, `reconnect`, the heartbeat options, `credentials` or `shareAcrossTabs` change, and
 *   the state starts over; `lastEventId` and `from` are read when the stream opens (`from: "earliest"` starts
 *   with everything the hub retains for the view, so state holds the call so far), and a new `headers`
 *   function takes effect on the next attempt, without reopening.
 * - `reduce(state, event)`: called once per event (also in StrictMode), outside React's updater,
 *   so it may even mutate, though returning a new object is what makes React re-render.
 *   It receives every event, control events (`gap`) included.
 *
 * @example
 * const { state: calls, status } = useEventStream<AgentEvents, Calls>(
 *   { url: "/events", events: ["call.*", "bot.word"] },
 *   (calls, e) => {
 *     if (e.event === "call.started") return { ...calls, [e.callId]: { from: e.from, words: [] } };
 *     if (e.event === "bot.word") return { ...calls, [e.callId]: { ...calls[e.callId]!, words: [...calls[e.callId]!.words, e.word] } };
 *     if (e.event === "call.ended") { const { [e.callId]: _, ...rest } = calls; return rest; }
 *     return calls;
 *   },
 *   {},
 * );
 */
export function useEventStream<Events extends object, State>(
  options: EventStreamOptions<Events> | null | undefined,
  reduce: (state: State, event: AnyEvent<Events>) => State,
  initialState: State,
): UseEventStreamResult<Events, State>;
/** Without a reducer, `state` holds the most recent events (`maxEvents`, default 100), oldest first. */
export function useEventStream<Events extends object = UntypedEvents>(
  options: EventStreamOptions<Events> | null | undefined,
  recent?: RecentEventsOptions,
): UseEventStreamResult<Events, AnyEvent<Events>[]>;
export function useEventStream<Events extends object, State>(
  options: EventStreamOptions<Events> | null | undefined,
  reduceOrRecent?: ((state: State, event: AnyEvent<Events>) => State) | RecentEventsOptions,
  initialState?: State,
): UseEventStreamResult<Events, State> {
  const reduce: (state: State, event: AnyEvent<Events>) => State =
    typeof reduceOrRecent === "function" ? reduceOrRecent : keepRecent(reduceOrRecent?.maxEvents ?? 100);
  const initial = (typeof reduceOrRecent === "function" ? initialState : []) as State;

  const [state, setState] = useState<State>(initial);
  const [status, setStatus] = useState<StreamStatus>("idle");
  const [error, setError] = useState<EventStreamError | undefined>(undefined);
  const [stream, setStream] = useState<EventStream<Events> | undefined>(undefined);
  const latest = useRef({ options, reduce, initial });
  latest.current = { options, reduce, initial };
  const streamRef = useRef<EventStream<Events> | undefined>(undefined);

  const key = streamKey(options);
  useEffect(() => {
    const current = latest.current.options;
    if (current === null || current === undefined) {
      setStatus("idle");
      return undefined;
    }
    const headers = current.headers;
    const opened = createEventStream<Events>({
      ...current,
      // Always the latest render's headers, without reopening the stream.
      headers:
        headers === undefined
          ? undefined
          : () => {
              const now = latest.current.options?.headers ?? headers;
              return typeof now === "function" ? now() : now;
            },
    });
    // Folded outside React's updater so the reducer runs once per event, StrictMode or not.
    let folded = latest.current.initial;
    setState(folded);
    setStatus(opened.status);
    setError(undefined);
    opened.onStatus((next, cause) => {
      setStatus(next);
      setError(cause);
    });
    opened.on("*", (event) => {
      folded = latest.current.reduce(folded, event);
      setState(() => folded);
    });
    streamRef.current = opened;
    setStream(opened);
    return () => {
      opened.close();
      if (streamRef.current === opened) streamRef.current = undefined;
      setStream(undefined);
    };
  }, [key]);

  const send = useCallback(<Result,>(message: ActionMessage): Promise<Result> => {
    const current = streamRef.current;
    if (current === undefined) {
      return Promise.reject(new EventStreamError("closed", "there is no open stream (options are null, or the component unmounted)"));
    }
    return current.send<Result>(message);
  }, []);

  return { state, status, error, send, stream };
}

function keepRecent<Events>(maxEvents: number) {
  return (events: any, event: AnyEvent<Events>): any => {
    const next = events.length >= maxEvents ? events.slice(events.length - maxEvents + 1) : events.slice();
    next.push(event);
    return next;
  };
}

/** What identifies a stream: options that change the connection, not callbacks or implementations. */
function streamKey<Events extends object>(options: EventStreamOptions<Events> | null | undefined): string {
  if (options === null || options === undefined) return "";
  // Not `lastEventId` nor `from`: they only say where the first connection starts.
  const { url, transport, session, events, include, reconnect, heartbeatMs, heartbeatTimeoutMs, credentials, shareAcrossTabs } = options;
  return JSON.stringify([
    String(url),
    transport,
    session,
    events,
    include,
    reconnect,
    heartbeatMs,
    heartbeatTimeoutMs,
    credentials,
    shareAcrossTabs,
  ]);
}
