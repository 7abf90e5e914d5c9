import { randomBytes } from "node:crypto";
import type { EventwireRequest, Grant, Hub } from "@eventwire/core";
import express, { type Router } from "express";

/**
 * The demo's sign-in: a person signs in as one of these accounts, and the hub's `authorize`
 * grants what the account may watch (docs/protocol.md#scopes). A customer sees its own calls
 * only, those that start later included; the operator sees every customer's.
 *
 * Demo-grade on purpose: anyone may pick any account, and the cookie is not signed. A real app
 * checks a password or an identity provider in `POST /login`, and a signed session (or a token) in
 * `authorize`; the grants stay the same.
 */
export const accounts = {
  operator: { label: "Operator", tenants: undefined },
  acme: { label: "Acme Corp", tenants: ["acme"] },
  globex: { label: "Globex", tenants: ["globex"] },
} as const satisfies Record<string, { label: string; tenants: readonly string[] | undefined }>;

export type AccountName = keyof typeof accounts;

/** The cookie `POST /login` sets: `<account>.<random>`, one value per sign-in (the grant's `subject`). */
const cookieName = "monitor_login";

interface SignedIn {
  account: AccountName;
  /** This sign-in, as `hub.revoke({ subject })` matches it. */
  login: string;
}

function signedIn(cookieHeader: string | string[] | undefined): SignedIn | undefined {
  const header = Array.isArray(cookieHeader) ? cookieHeader.join("; ") : (cookieHeader ?? "");
  for (const part of header.split(";")) {
    const [name, value = ""] = part.trim().split("=");
    if (name !== cookieName) continue;
    const account = value.split(".")[0]!;
    if (Object.hasOwn(accounts, account)) return { account: account as AccountName, login: value };
  }
  return undefined;
}

/**
 * The hub's `authorize`: nobody signed in gets nothing (401); the operator everything; a customer
 * its tenant's events. Every stream names its sign-in as `subject`, so signing out ends it.
 */
export function authorizeSignedIn(request: EventwireRequest): false | Grant<"tenant"> {
  const user = signedIn(request.headers.cookie);
  if (!user) return false;
  const { tenants } = accounts[user.account];
  return tenants ? { scopes: { tenant: [...tenants] }, subject: user.login } : { subject: user.login };
}

/**
 * `GET /account` (who is signed in: 200 `{ account, label }`, or 401), `POST /login` with
 * `{ "account": "acme" }`, and `POST /logout`. Signing in again or out ends the streams of the
 * previous sign-in at once (`hub.revoke`), in every tab that had them open: once the answer that
 * sets the new cookie is sent, so that a tab whose stream closes finds the new sign-in.
 */
export function signIn(hub: Hub<"tenant">): Router {
  const router = express.Router();
  const describe = (account: AccountName) => ({ account, label: accounts[account].label });

  router.get("/account", (request, response) => {
    const user = signedIn(request.headers.cookie);
    if (user) response.json(describe(user.account));
    else response.status(401).json({ error: "signed_out", message: "nobody is signed in" });
  });

  router.post("/login", express.json(), (request, response) => {
    const account = (request.body as { account?: unknown } | undefined)?.account;
    if (typeof account !== "string" || !Object.hasOwn(accounts, account)) {
      response.status(400).json({ error: "bad_request", message: `account must be one of ${Object.keys(accounts).join(", ")}` });
      return;
    }
    const login = `${account}.${randomBytes(12).toString("base64url")}`;
    response.cookie(cookieName, login, { httpOnly: true, sameSite: "lax", path: "/" }).json(describe(account as AccountName));
    endSignIn(hub, request.headers.cookie);
  });

  router.post("/logout", (request, response) => {
    response.clearCookie(cookieName, { path: "/" }).status(204).end();
    endSignIn(hub, request.headers.cookie);
  });
  return router;
}

function endSignIn(hub: Hub<"tenant">, cookieHeader: string | undefined): void {
  const user = signedIn(cookieHeader);
  if (user) hub.revoke({ subject: user.login }).catch((error: unknown) => console.error("cannot end the previous sign-in's streams:", error));
}
