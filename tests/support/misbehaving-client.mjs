// Clients that misuse a server, as a process of their own (plain JavaScript, run by Node, whose
// paused sockets really stop reading), for the tests of serve's limits. Each prints one JSON line
// per event on stdout.
//
//   node misbehaving-client.mjs flood HOST PORT PATH [AUTHORIZATION] [HOLD_MS]
//     One connection: 16 MB of pipelined GET PATH, never reading an answer. Prints
//     {"event":"connected"}, then {"event":"closed","ms"} when the server closes it, or
//     {"event":"left","ms"} when it gives up after HOLD_MS (default: never) and goes away.
//
//   node misbehaving-client.mjs steady HOST PORT PATH
//     One connection: 100 pipelined GET PATH every 10 ms, never reading an answer (no burst
//     for the server to read at once: requests keep coming). Prints {"event":"connected"},
//     then {"event":"closed","ms"} when the server closes it.
//
//   node misbehaving-client.mjs hold HOST PORT COUNT
//     COUNT connections from one process without the token, a third each: idle (connected,
//     silent), trickling (a request's head one byte a second, started again when cut) and slow
//     (a whole GET /healthz every 2 s, kept alive). Any connection the server closes is opened
//     again at once. Prints {"event":"holding","open","opened"} every second once each of the
//     COUNT has connected at least once ("open": connected now; "opened": connections made).

import { connect } from "node:net";
import process from "node:process";

const [mode, host, port, ...rest] = process.argv.slice(2);
const print = (event) => console.log(JSON.stringify(event));

if (mode === "flood") {
  const [path, authorization = "", holdMs = "0"] = rest;
  const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${
    authorization ? `Authorization: ${authorization}\r\n` : ""
  }\r\n`;
  const flood = Buffer.from(request.repeat(Math.ceil(16 * 1024 * 1024 / request.length)));
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const socket = connect({ host, port: Number(port) }, () => {
    socket.pause();
    print({ event: "connected" });
    socket.write(flood);
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    print({ event: "closed", ms: ms() });
    process.exit(0);
  });
  if (Number(holdMs) > 0) {
    setTimeout(() => {
      print({ event: "left", ms: ms() });
      socket.destroy();
      process.exit(0);
    }, Number(holdMs));
  }
} else if (mode === "steady") {
  const request = `GET ${rest[0]} HTTP/1.1\r\nHost: ${host}\r\n\r\n`.repeat(100);
  const started = performance.now();
  const socket = connect({ host, port: Number(port) }, () => {
    socket.pause();
    print({ event: "connected" });
    // What the kernel does not take waits here, up to 1 MB: sends stop, the pipeline stays full.
    setInterval(() => socket.writableLength < 1024 * 1024 && socket.write(request), 10);
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    print({ event: "closed", ms: Math.round(performance.now() - started) });
    process.exit(0);
  });
} else if (mode === "hold") {
  const count = Number(rest[0]);
  const open = new Set();
  const kinds = ["idle", "trickling", "slow"];
  let opened = 0;
  const hold = (kind) => {
    const socket = connect({ host, port: Number(port) });
    let timer;
    socket.on("error", () => {});
    socket.on("data", () => {});
    socket.on("connect", () => {
      open.add(socket);
      opened++;
      const head = `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Pad: ${"a".repeat(200)}\r\n\r\n`;
      let at = 0;
      if (kind === "trickling") {
        timer = setInterval(() => socket.write(head[at++ % head.length]), 1000);
      } else if (kind === "slow") {
        timer = setInterval(() => socket.write(head), 2000);
      }
    });
    socket.on("close", () => {
      clearInterval(timer);
      open.delete(socket);
      setTimeout(() => hold(kind), 10);
    });
  };
  for (let i = 0; i < count; i++) hold(kinds[i % kinds.length]);
  setInterval(() => {
    if (opened >= count) print({ event: "holding", open: open.size, opened });
  }, 1000);
} else {
  console.error("usage: misbehaving-client.mjs flood|steady|hold HOST PORT ...");
  process.exit(2);
}
