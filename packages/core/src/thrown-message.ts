/**
 * The message of anything thrown, for a log line or an `error` reply
 * (docs/protocol.md#load-and-bad-input): an `Error`'s message, else the value as a string. Never
 * throws, whatever was thrown: a null-prototype object, a `toString` or `message` getter that throws, a revoked Proxy.
 */
export function thrownMessage(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return String(thrown.message);
    return String(thrown);
  } catch {
    try {
      return Object.prototype.toString.call(thrown);
    } catch {
      return "a value that cannot be described";
    }
  }
}
