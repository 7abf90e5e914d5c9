// Naive WebSocket clients for the restart-storm soak, in a process of their own: each reconnects
// the instant its connection closes, with no backoff and no jitter (the worst case for a server
// that restarts). Plain JavaScript: it runs under `node`.
import WebSocket from "ws";

const { url, clients } = JSON.parse(process.argv[2]);
let open = 0;
let reconnected = 0;
const sockets = [];

function connect(again) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  sockets.push(socket);
  socket.on("error", () => {});
  socket.on("open", () => {
    if (again) {
      if (++reconnected === clients) process.send({ kind: "reconnected" });
    } else if (++open === clients) process.send({ kind: "connected" });
  });
  socket.on("close", () => !again && connect(true));
}

for (let i = 0; i < clients; i++) {
  connect(false);
  if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 20));
}
process.on("message", (message) => {
  if (message.kind !== "stop") return;
  for (const socket of sockets) socket.terminate();
  setTimeout(() => process.exit(0), 100);
});
