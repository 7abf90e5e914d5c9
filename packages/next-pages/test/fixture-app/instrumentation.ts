// Under the conformance suite's `next start` run (test/conformance.test.ts), this process hosts the
// hub of one case, served by pages/api/events.ts; in any other run it does nothing.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { hostNextHub } = await import("@eventwire/conformance/remote");
  hostNextHub("/api/events");
}
