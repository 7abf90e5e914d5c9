// Runs once when the Next server starts: makes the hub, so the demo agent is talking (and the
// history filling) before the first page asks.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { callHub } = await import("./lib/call-hub");
    callHub();
  }
}
