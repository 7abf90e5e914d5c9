import { spawn, type ChildProcess } from "node:child_process";

// `npm start`: both processes from one terminal, for trying the example. In production they are
// two deployments (`npm run start:agent`, `npm run start:web`), started and restarted on their own.
const processes = new Map<string, ChildProcess>(
  ["agent", "web"].map((name) => [name, spawn(process.execPath, [new URL(`./${name}.js`, import.meta.url).pathname], { stdio: "inherit" })]),
);

let stopping = false;
let status = 0;
function stopAll(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const child of processes.values()) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

for (const [name, child] of processes) {
  child.once("exit", (code, signal) => {
    processes.delete(name);
    if (!stopping) {
      console.error(`${name} exited (${code ?? signal}); stopping the other process`);
      status = 1;
      stopAll("SIGTERM");
    }
    if (processes.size === 0) process.exit(status);
  });
}

// Ctrl-C in a terminal reaches every process of the group; a SIGTERM may reach only this one.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stopAll(signal));
