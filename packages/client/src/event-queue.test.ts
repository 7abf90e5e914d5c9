import { describe, expect, it } from "vitest";
import { EventQueue } from "./event-queue.js";

describe("EventQueue", () => {
  it("hands out buffered values in order, then waits for the next one", async () => {
    const queue = new EventQueue<number>(() => {});
    queue.push(1);
    queue.push(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    const third = queue.next();
    queue.push(3);
    expect(await third).toEqual({ value: 3, done: false });
  });

  it("ends after what is buffered; with an error, throws it once", async () => {
    const queue = new EventQueue<number>(() => {});
    queue.push(1);
    queue.end(new Error("refused"));
    expect(await queue.next()).toEqual({ value: 1, done: false });
    await expect(queue.next()).rejects.toThrow("refused");
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it("return() (a break out of for await) unsubscribes once and ignores later values", async () => {
    let unsubscribed = 0;
    const queue = new EventQueue<number>(() => unsubscribed++);
    const seen: number[] = [];
    queue.push(1);
    queue.push(2);
    for await (const value of queue) {
      seen.push(value);
      break;
    }
    queue.push(3);
    queue.end();
    expect(seen).toEqual([1]);
    expect(unsubscribed).toBe(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});
