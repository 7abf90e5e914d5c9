import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const nginxBinary = "/usr/sbin/nginx";
const guide = resolve(import.meta.dirname, "../../../docs/deployment.md");

/** A self-signed certificate for 127.0.0.1, made with openssl in `dir`. */
export function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
  ], { stdio: "ignore" });
  return { cert, key };
}

/** The nginx block of docs/deployment.md, so that what the guide shows is what runs. */
export function guideConfig(): string {
  const match = /```nginx\n([\s\S]*?)```/.exec(readFileSync(guide, "utf8"));
  if (!match) throw new Error("docs/deployment.md has no nginx block");
  return match[1]!;
}

function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const replaced = text.replace(from, to);
  if (replaced === text) throw new Error(`the nginx block of docs/deployment.md no longer has ${String(from)}`);
  return replaced;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((done) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), done(true)));
    socket.once("error", () => done(false));
  });
}

export interface Nginx {
  /** `http://127.0.0.1:<port>`: plain HTTP/1.1. */
  plain: string;
  /** `https://127.0.0.1:<port>`: TLS, HTTP/2 by ALPN. */
  tls: string;
  /** The certificate to trust for `tls`. */
  ca: Buffer;
  stop(): Promise<void>;
}

/** Starts a real nginx, in a temporary prefix, with the guide's configuration proxying to `upstreamPort`. */
export async function startNginx(upstreamPort: number, options: { readTimeout?: string } = {}): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), "eventwire-nginx-"));
  for (const temp of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, temp));
  const { cert, key } = makeCertificate(dir);
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  let server = guideConfig();
  server = replaceOnce(server, "server 127.0.0.1:3000;", `server 127.0.0.1:${upstreamPort};`);
  server = replaceOnce(server, "listen 443 ssl http2;", `listen 127.0.0.1:${tlsPort} ssl http2;`);
  server = replaceOnce(server, "listen 80;", `listen 127.0.0.1:${plainPort};`);
  server = replaceOnce(server, /ssl_certificate\s+\S+;/, `ssl_certificate ${cert};`);
  server = replaceOnce(server, /ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${key};`);
  if (options.readTimeout) server = replaceOnce(server, "proxy_read_timeout 60s;", `proxy_read_timeout ${options.readTimeout};`);
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, [
    "daemon off;", "worker_processes 1;", `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log warn;`,
    "events { worker_connections 256; }",
    "http {", "access_log off;",
    ...["body", "proxy", "fastcgi", "uwsgi", "scgi"].map((temp) => `${temp === "body" ? "client_body" : temp}_temp_path ${dir}/${temp};`),
    server, "}",
  ].join("\n"));
  const child: ChildProcess = spawn(nginxBinary, ["-p", dir, "-e", join(dir, "error.log"), "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  let exited = false;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + 15_000;
  while (!((await portOpen(plainPort)) && (await portOpen(tlsPort)))) {
    if (exited) throw new Error(`nginx exited: ${stderr}${readFileSync(join(dir, "error.log"), "utf8")}`);
    if (Date.now() > deadline) throw new Error(`nginx is not listening after 15 s: ${stderr}`);
    await new Promise((done) => setTimeout(done, 20));
  }
  return {
    plain: `http://127.0.0.1:${plainPort}`,
    tls: `https://127.0.0.1:${tlsPort}`,
    ca: readFileSync(cert),
    async stop() {
      if (!exited) {
        const gone = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
