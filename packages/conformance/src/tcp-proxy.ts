import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay in front of a server: stopping it cuts every connection and refuses new ones, as a
 * network outage or a crashed server would, while the server behind it keeps running. Starting it
 * again listens on the same port, relaying to {@link target}, which may have changed meanwhile (a
 * restarted server on another port).
 */
export class TcpProxy {
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  /** The port it listens on, once started: the same on every start. */
  port = 0;

  /** @param target The port on 127.0.0.1 that connections are relayed to. */
  constructor(public target: number) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, "127.0.0.1");
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.once("close", () => this.#sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // Either side's end ends the other, so a clean end reaches the client as a clean end.
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /**
   * Stops listening, so new connections are refused. Destroys every relayed connection too, as an
   * outage would, unless `keepConnections` (a restart: the server ends its streams itself).
   */
  async stop(options: { keepConnections?: boolean } = {}): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (options.keepConnections) {
      server?.close(); // the port is free at once; its 'close' waits for the kept connections
      return;
    }
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** `url` (of the server behind it) with its host and port replaced by the proxy's. */
  url(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(this.port);
    return proxied.href;
  }
}
