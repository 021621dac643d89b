/**
 * Loaded into a measured process with `node --expose-gc --import <this file>`: on SIGUSR2 it forces a full
 * garbage collection and appends one JSON line to the file named by STOWAGE_GC_PROBE: RSS and V8's heap
 * after the collection. Memory growth is judged on the heap after a GC, since raw RSS also moves with what
 * the allocator keeps and the kernel has not reclaimed; and the heap less its code space is reported apart,
 * since compiled code and its feedback grow for minutes in a 1 Hz loop as V8 tiers functions up (bin/stowage
 * raises the interrupt budget), which is warm-up and converges, not data kept per sample. watch turns V8's
 * compilers off (watch-command.ts), so its code space stays put; the bare loop's does not.
 * Bench-only: nothing in stowage itself knows of it.
 */
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const out = process.env.STOWAGE_GC_PROBE;
const gc = (globalThis as { gc?: () => void }).gc;
if (out && gc) {
  process.on('SIGUSR2', () => {
    gc();
    const m = process.memoryUsage();
    const h = getHeapStatistics();
    const code = getHeapSpaceStatistics().filter((x) => x.space_name.startsWith('code')).reduce((a, x) => a + x.space_used_size, 0);
    appendFileSync(out, `${JSON.stringify({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, codeUsed: code, dataUsed: m.heapUsed - code,
      external: m.external, arrayBuffers: m.arrayBuffers, nativeContexts: h.number_of_native_contexts })}\n`);
  });
}
