export { createEventStream } from "./create-event-stream.js";
export type { EventStream, EventStreamOptions } from "./event-stream.js";
export { EventStreamError } from "./event-stream-error.js";
export type {
  ActionMessage,
  AnyEvent,
  ControlEvent,
  ControlEvents,
  EventFilter,
  EventFor,
  EventName,
  GapReason,
  ListenName,
  Ref,
  StreamEvent,
  UntypedEvents,
} from "./event-types.js";
export type { ReconnectOptions } from "./reconnect-policy.js";
export type { StreamStatus } from "./stream-source.js";
export type { HeadersOption } from "./transports/transport.js";
export type { WebSocketConstructor, WebSocketLike } from "./transports/ws.js";
