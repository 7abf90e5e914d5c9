/**
 * The typed event map: `createEventStream<AgentEvents>()` makes `on("bot.word", (e) => e.word)`
 * type-check, and a wrong name or field fail to compile.
 */

/**
 * The events of a stream without a map: any name, any fields. Pass your own map
 * (`{ "bot.word": { word: string } }`, one entry per event name, fields without `event` and `id`)
 * to type names and payloads end to end.
 */
export interface UntypedEvents {
  [name: string]: { [field: string]: any };
}

/** The event names of a map. */
export type EventName<Events> = Extract<keyof Events, string>;

/** One event as delivered: the published object, its name in `event` and its stream position in `id`. */
export type StreamEvent<Events, Name extends EventName<Events> = EventName<Events>> = {
  [N in Name]: { event: N; id: string } & Events[N];
}[Name];

/** What an action message may carry as its `ref`: it comes back on the reply (docs/protocol.md#wire-protocol). */
export type Ref = string | number;

/**
 * Why a resume could not be exact (docs/protocol.md#resume): `"expired"` (the id was older than the
 * history), `"unknown"` (malformed or never issued), `"reset"` (issued by an earlier run of the hub,
 * or before the bus's history was recreated), `"overrun"` (the history moved past a replay that was
 * still catching up).
 */
export type GapReason = "expired" | "unknown" | "reset" | "overrun";

/**
 * Events the protocol itself sends (docs/protocol.md#wire-protocol). They carry no `id` and are never replayed.
 * - `gap`: a resume could not be exact, for `reason`; `lastEventId` is the last id the stream had.
 *   The events that follow start at the oldest retained one: rebuild the view from them.
 * - `pong`: the answer to `{ action: "ping" }`.
 * - `ack` / `error`: the answer to an action (`error` also answers malformed or rate-limited input).
 */
export interface ControlEvents {
  gap: { lastEventId: string; reason: GapReason };
  pong: { ref?: Ref };
  ack: { ref?: Ref; result?: unknown };
  error: { ref?: Ref; code: string; message: string };
}

/** A control event by name, or the union of all of them. */
export type ControlEvent<Name extends keyof ControlEvents = keyof ControlEvents> = {
  [N in Name]: { event: N } & ControlEvents[N];
}[Name];

/** What `"*"` listeners and `for await` receive: every event of the map and every control event. */
export type AnyEvent<Events> = StreamEvent<Events> | ControlEvent;

/** The names `on` accepts: the map's names, the control events and `"*"`. */
export type ListenName<Events> = EventName<Events> | keyof ControlEvents | "*";

/** The event a listener for `Name` receives. Control names take precedence (they are reserved). */
export type EventFor<Events, Name> = Name extends "*"
  ? AnyEvent<Events>
  : Name extends keyof ControlEvents
    ? ControlEvent<Name>
    : Name extends EventName<Events>
      ? StreamEvent<Events, Name>
      : never;

/** A filter entry for the `events` option: an event name or a prefix ending in `*` (docs/protocol.md#wire-protocol). */
export type EventFilter<Events> = EventName<Events> | `${string}*`;

/** A client-to-server message (WebSocket only): an action name plus its fields. */
export interface ActionMessage {
  /** The action: `"ping"` (built in) or a name registered with `hub.action`. */
  action: string;
  /** Comes back on the reply; generated (`"ew-<n>"`) when absent so `send` can resolve. */
  ref?: Ref;
  [field: string]: unknown;
}
