import http from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

/**
 * A load balancer in front of several instances, as a serverless platform routes: each request
 * (and each WebSocket upgrade) goes to the next instance in turn, whatever connection it came on,
 * so a client that reconnects always lands on another instance. Counts what each instance got.
 */
export class RoundRobinProxy {
  /** Requests and upgrades sent to each instance, by index. */
  readonly served: number[];
  readonly #server = http.createServer();
  readonly #sockets = new Set<Socket>();
  #next = 0;

  private constructor(private readonly ports: number[]) {
    this.served = ports.map(() => 0);
    const agent = new http.Agent({ keepAlive: false });
    this.#server.on("request", (request, response) => {
      const port = this.#pick();
      const upstream = http.request({ host: "127.0.0.1", port, method: request.method, path: request.url, headers: request.headers, agent }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      upstream.on("error", () => response.destroy());
      response.on("close", () => upstream.destroy());
      request.pipe(upstream);
    });
    this.#server.on("upgrade", (request, client: Socket, head: Buffer) => {
      const upstream = connect(this.#pick(), "127.0.0.1");
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.once("close", () => this.#sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const headers = Object.entries(request.headers).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}\r\n`));
      upstream.write(`${request.method} ${request.url} HTTP/1.1\r\n${headers.join("")}\r\n`);
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
  }

  static async start(ports: number[]): Promise<RoundRobinProxy> {
    const proxy = new RoundRobinProxy(ports);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #pick(): number {
    const index = this.#next++ % this.ports.length;
    this.served[index]!++;
    return this.ports[index]!;
  }
}
