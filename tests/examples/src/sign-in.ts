import type { BrowserContext } from "playwright-core";

/**
 * Signs in to the live call monitor (examples/express-dashboard) as `account` with `POST /login`,
 * as its page does, and returns the `cookie` header that carries the sign-in, for clients that are
 * not the browser.
 */
export async function signInCookie(origin: string, account: "operator" | "acme" | "globex"): Promise<{ cookie: string }> {
  const response = await fetch(`${origin}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ account }) });
  if (!response.ok) throw new Error(`POST /login as ${account} answered ${response.status}`);
  await response.text();
  const cookie = response.headers.getSetCookie()[0]?.split(";")[0];
  if (!cookie) throw new Error("POST /login set no cookie");
  return { cookie };
}

/**
 * Signs `context` (a browser's) in as `account` before its pages open: the cookie of a `POST /login`
 * to `origin`, for every port of its host. Returns the `cookie` header too.
 */
export async function signInBrowser(context: BrowserContext, origin: string, account: "operator" | "acme" | "globex"): Promise<{ cookie: string }> {
  const signedIn = await signInCookie(origin, account);
  const split = signedIn.cookie.indexOf("=");
  await context.addCookies([{ name: signedIn.cookie.slice(0, split), value: signedIn.cookie.slice(split + 1), domain: new URL(origin).hostname, path: "/" }]);
  return signedIn;
}
