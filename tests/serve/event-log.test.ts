// src/serve/event-log.ts with a writer the test controls: lines go out in order, one write at a
// time and never inside the call that logs them; a reader that stalls costs at most the queue's
// bytes, the lines beyond are counted, and once it reads again one line says how many were lost.

import { test } from "node:test";
import assert from "node:assert/strict";
import { EventLog } from "../../src/serve/event-log.ts";

/** A writer whose writes complete only when the test says so. */
function stalledWriter() {
  const writes: { text: string; done: (written?: number) => void; fail: (e: unknown) => void }[] =
    [];
  const write = (bytes: Uint8Array) =>
    new Promise<number>((resolve, reject) =>
      writes.push({
        text: new TextDecoder().decode(bytes),
        done: (written = bytes.byteLength) => resolve(written),
        fail: reject,
      })
    );
  return { write, writes };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test("lines go out in order, one write at a time, after the call that logs them", async () => {
  const writer = stalledWriter();
  const log = new EventLog(writer.write);
  log.line("one");
  log.line("two");
  assert.equal(writer.writes.length, 1, "one write in flight");
  writer.writes[0].done();
  await tick();
  assert.deepEqual(writer.writes.map((w) => w.text), ["one\n", "two\n"]);
  writer.writes[1].done();
  await log.flush(1000);
});

test("a stalled reader: lines beyond the queue's bytes are dropped and counted, then reported once", async () => {
  const writer = stalledWriter();
  const log = new EventLog(writer.write, 100);
  for (let i = 0; i < 30; i++) log.line(`line ${String(i).padStart(3, "0")}`);
  // In flight: line 000; queued with it: ten lines of 9 bytes in 100.
  assert.equal(log.dropped, 19);
  for (let i = 0; writer.writes.length > i || i === 0; i++) {
    writer.writes[i].done();
    await tick();
  }
  const texts = writer.writes.map((w) => w.text);
  assert.deepEqual(
    texts.slice(0, 11),
    Array.from({ length: 11 }, (_, i) => `line 0${i < 10 ? "0" : ""}${i}\n`),
  );
  assert.equal(texts.length, 12);
  const notice = JSON.parse(texts[11]);
  assert.equal(notice.event, "log lines dropped");
  assert.equal(notice.count, 19);
  assert.equal(log.dropped, 19, "the total stays: it is a counter");
  log.line("after");
  assert.equal(writer.writes.at(-1)!.text, "after\n", "nothing dropped once it reads again");
});

test("a partial write: the rest goes out next", async () => {
  const writer = stalledWriter();
  const log = new EventLog(writer.write);
  log.line("abcdef");
  writer.writes[0].done(2);
  await tick();
  assert.equal(writer.writes[1].text, "cdef\n");
});

test("a failed write (stderr closed) loses that line only; EAGAIN is tried again", async () => {
  const writer = stalledWriter();
  const log = new EventLog(writer.write);
  log.line("lost");
  log.line("kept");
  writer.writes[0].fail(Object.assign(new Error("broken pipe"), { code: "EPIPE" }));
  await tick();
  assert.equal(log.dropped, 1);
  assert.equal(writer.writes[1].text, "kept\n");
  writer.writes[1].fail(Object.assign(new Error("again"), { code: "EAGAIN" }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(writer.writes[2].text, "kept\n", "written again after a while");
  assert.equal(log.dropped, 1);
});

test("flush waits until everything is written, or its bound", async () => {
  const writer = stalledWriter();
  const log = new EventLog(writer.write);
  await log.flush(10);
  log.line("one");
  const before = performance.now();
  await log.flush(100);
  assert.ok(performance.now() - before >= 90, "gave up after its bound: the write is stalled");
  const flushed = log.flush(60_000);
  writer.writes[0].done();
  await flushed;
});
