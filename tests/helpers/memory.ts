import v8 from "node:v8";
import vm from "node:vm";

v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

/**
 * Runs `work` while watching memory, and says how far each measure rose above where it started
 * (in MiB): `liveMiB` is the heap still in use after a full collection (taken every 250 ms, so it
 * counts what the work keeps, not garbage it has not collected yet), `heapMiB` and `rssMiB` the
 * raw heap and resident set sampled every 5 ms. The work must yield to the event loop now and
 * then (any streaming read does) for the samples to see its peak.
 */
export async function peakMemory<T>(work: () => Promise<T>): Promise<{ outcome: T; liveMiB: number; heapMiB: number; rssMiB: number }> {
  collectGarbage();
  const start = process.memoryUsage();
  let heap = start.heapUsed;
  let rss = start.rss;
  let live = start.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    heap = Math.max(heap, now.heapUsed);
    rss = Math.max(rss, now.rss);
  };
  const collect = () => {
    sample();
    collectGarbage();
    live = Math.max(live, process.memoryUsage().heapUsed);
  };
  const sampler = setInterval(sample, 5);
  const collector = setInterval(collect, 250);
  try {
    const outcome = await work();
    collect();
    const mib = (bytes: number) => bytes / 1024 / 1024;
    return { outcome, liveMiB: mib(live - start.heapUsed), heapMiB: mib(heap - start.heapUsed), rssMiB: mib(rss - start.rss) };
  } finally {
    clearInterval(sampler);
    clearInterval(collector);
  }
}
