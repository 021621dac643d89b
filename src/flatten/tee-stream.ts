/**
 * One stream read twice at once: every chunk a consumer (the engine upload) takes is also handed, unchanged,
 * to a side reader (the verifier's tar reader), so the bytes verified are exactly the bytes sent. The side
 * reader runs concurrently; the main stream waits when the side has more than `limit` bytes unread. A side
 * reader that fails or stops early no longer slows the main stream; its promise carries the failure. A main
 * stream abandoned before its end ends the side with an error, so a partial stream is never verified.
 */

export interface Tee<T> {
  /** The source's chunks, to be read by the main consumer. */
  stream: AsyncIterable<Buffer>;
  /** What the side reader returned once the stream ended; rejects when it failed or the stream broke. */
  result: Promise<T>;
}

export function teeStream<T>(source: AsyncIterable<Buffer>, side: (branch: AsyncIterable<Buffer>) => Promise<T>, limit = 16 * 1024 * 1024): Tee<T> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let sideDone = false;
  let wakeSide: (() => void) | undefined;
  let wakeMain: (() => void) | undefined;
  const signalSide = () => {
    const w = wakeSide;
    wakeSide = undefined;
    w?.();
  };
  const signalMain = () => {
    const w = wakeMain;
    wakeMain = undefined;
    w?.();
  };
  const branch: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const c = queue.shift();
        if (c) {
          queued -= c.length;
          if (queued <= limit) signalMain();
          yield c;
          continue;
        }
        if (ended) {
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => { wakeSide = resolve; });
      }
    },
  };
  const result = Promise.resolve().then(() => side(branch));
  const settle = () => {
    sideDone = true;
    queue.length = 0;
    queued = 0;
    signalMain();
  };
  result.then(settle, settle);
  const stream: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      let complete = false;
      try {
        for await (const c of source) {
          if (!sideDone) {
            queue.push(c);
            queued += c.length;
            signalSide();
            while (queued > limit && !sideDone) await new Promise<void>((resolve) => { wakeMain = resolve; });
          }
          yield c;
        }
        complete = true;
      } catch (err) {
        failure = err;
        throw err;
      } finally {
        if (!complete && failure === undefined) failure = new Error('the stream was abandoned before its end');
        ended = true;
        signalSide();
      }
    },
  };
  return { stream, result };
}
