import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { pathnameOf, routeUpgrade } from "./upgrade-routes.js";

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const servers: http.Server[] = [];
const clients: net.Socket[] = [];
/** A raw client that writes `head` and stays until the test ends. */
function connect(port: number, head: string): net.Socket {
  const socket = net.connect(port, "127.0.0.1", () => socket.write(head));
  socket.on("error", () => {});
  clients.push(socket);
  return socket;
}
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listen(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_request, response) => response.writeHead(200).end("plain request"));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Sends an upgrade request on a raw socket; resolves with everything the server wrote before closing it (or after `untilBytes`). */
function upgrade(port: number, path: string, untilBytes = Infinity): Promise<{ text: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString();
      if (text.length >= untilBytes) resolve({ text, socket });
    });
    socket.on("close", () => resolve({ text, socket }));
    socket.on("error", reject);
  });
}

/** A listener that answers with a marker, so the test sees who served the upgrade. */
const answer = (marker: string, seen: string[]) => (request: http.IncomingMessage, socket: Duplex) => {
  seen.push(`${marker} ${request.url}`);
  socket.end(`${marker}\n`);
};

describe("routeUpgrade", () => {
  it("hands an upgrade on its path to its listener alone, whatever the other listeners and when they were added", async () => {
    const { server, port } = await listen();
    const seen: string[] = [];
    server.on("upgrade", answer("before", seen));
    routeUpgrade(server, "/events", answer("routed", seen));
    server.on("upgrade", answer("after", seen));
    expect((await upgrade(port, "/events?session=S")).text).toBe("routed\n");
    expect((await upgrade(port, "/events/")).text).toBe("routed\n");
    expect(seen).toEqual(["routed /events?session=S", "routed /events/"]);
  });

  it("leaves other paths to the other listeners, without writing to their sockets", async () => {
    const { server, port } = await listen();
    const seen: string[] = [];
    routeUpgrade(server, "/events", answer("routed", seen));
    server.on("upgrade", answer("other", seen));
    expect((await upgrade(port, "/other")).text).toBe("other\n");
    expect((await upgrade(port, "/events/more")).text).toBe("other\n");
    expect(seen).toEqual(["other /other", "other /events/more"]);
  });

  it("answers 404 to an upgrade on another path when no other listener will", async () => {
    const { server, port } = await listen();
    routeUpgrade(server, "/events", answer("routed", []));
    expect((await upgrade(port, "/nowhere")).text).toBe("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });

  it("releases an upgrade on another path that the other listeners leave unread: when its client leaves, or after keepAliveTimeout", async () => {
    const { server, port } = await listen();
    server.keepAliveTimeout = 300;
    routeUpgrade(server, "/events", answer("routed", []));
    const held: Duplex[] = [];
    server.on("upgrade", (_request, socket: Duplex) => void held.push(socket)); // as Next's listener does with a path it does not serve

    const leaving = connect(port, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n");
    await until(() => held.length === 1, "the first upgrade to reach the other listener");
    leaving.end();
    await until(() => held[0]!.destroyed, "the socket of the client that left to be released");

    connect(port, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"); // stays connected
    await until(() => held.length === 2, "the second upgrade to reach the other listener");
    await until(() => held[1]!.destroyed, "the unread socket of the client that stays to be released after keepAliveTimeout");
  });

  it("leaves an upgrade socket on another path that a listener reads, however long", async () => {
    const { server, port } = await listen();
    server.keepAliveTimeout = 100;
    routeUpgrade(server, "/events", answer("routed", []));
    let served: Duplex | undefined;
    server.on("upgrade", (_request, socket: Duplex) => {
      served = socket;
      socket.on("data", (chunk) => socket.write(chunk)); // an echo: a protocol of its own
      socket.on("end", () => socket.end());
    });
    const client = connect(port, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
    await until(() => served !== undefined, "the upgrade to reach the other listener");
    await new Promise((resolve) => setTimeout(resolve, 400));
    const echoed = new Promise<string>((resolve) => client.once("data", (chunk) => resolve(chunk.toString())));
    client.write("still here");
    expect(await echoed).toBe("still here");
  });

  it("intercepts once per server: registering a path again replaces its listener, and removing the last restores the server", async () => {
    const { server, port } = await listen();
    const seen: string[] = [];
    const ownEmit = Object.hasOwn(server, "emit");
    routeUpgrade(server, "/events", answer("first", seen));
    const remove = routeUpgrade(server, "/events", answer("second", seen));
    const removeOther = routeUpgrade(server, "/more", answer("more", seen));
    expect(server.listenerCount("upgrade")).toBe(1);
    expect((await upgrade(port, "/events")).text).toBe("second\n");
    expect((await upgrade(port, "/more")).text).toBe("more\n");
    remove();
    expect((await upgrade(port, "/events")).text).toMatch(/^HTTP\/1\.1 404 /);
    removeOther();
    expect(server.listenerCount("upgrade")).toBe(0);
    expect(Object.hasOwn(server, "emit")).toBe(ownEmit);
    // With no upgrade listener left, Node serves an upgrade request as a plain request again.
    expect((await upgrade(port, "/events", 1)).text).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it("rejects a path that does not start with a slash", () => {
    expect(() => routeUpgrade(http.createServer(), "events", () => {})).toThrow(new TypeError('routeUpgrade: the path must start with "/" (got "events")'));
  });

  it("compares paths without their query or trailing slashes", () => {
    expect([pathnameOf("/events?a=b"), pathnameOf("/events//"), pathnameOf("/"), pathnameOf("/?x"), pathnameOf("/api/events/?x=/")]).toEqual(["/events", "/events", "/", "/", "/api/events"]);
  });
});
