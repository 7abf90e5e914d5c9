import { Buffer } from "node:buffer";
import type { WebSocketInbox } from "./websocket-peer.js";

/** A client message as a binding pushes it: a string, bytes, fragments (`ws`), or a Blob (binary only). */
export type MessageData = Parameters<WebSocketInbox["receive"]>[0];

/** The message's size in bytes, for `limits.maxMessageBytes` (docs/protocol.md#load-and-bad-input). */
export function messageBytes(data: MessageData): number {
  if (typeof data === "string") return Buffer.byteLength(data);
  if (isFragments(data)) return data.reduce((sum, part) => sum + part.byteLength, 0);
  if (isBlob(data)) return data.size;
  return data.byteLength;
}

/** The message as text; undefined for a Blob, which only binary messages are. */
export function messageText(data: MessageData): string | undefined {
  if (typeof data === "string") return data;
  if (isFragments(data)) return Buffer.concat(data).toString();
  if (isBlob(data)) return undefined;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
  return Buffer.from(data).toString();
}

function isFragments(data: MessageData): data is readonly Uint8Array[] {
  return Array.isArray(data);
}

function isBlob(data: MessageData): data is Blob {
  return typeof Blob === "function" && data instanceof Blob;
}
