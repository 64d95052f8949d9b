/**
 * Runs `work` while sampling the heap and the resident set every few milliseconds, and says how
 * far each rose above where it started (in MiB). The work must yield to the event loop now and
 * then (any streaming read does) for the samples to see its peak.
 */
export async function peakMemory<T>(work: () => Promise<T>): Promise<{ outcome: T; heapMiB: number; rssMiB: number }> {
  const start = process.memoryUsage();
  let heap = start.heapUsed;
  let rss = start.rss;
  const sample = () => {
    const now = process.memoryUsage();
    heap = Math.max(heap, now.heapUsed);
    rss = Math.max(rss, now.rss);
  };
  const timer = setInterval(sample, 5);
  try {
    const outcome = await work();
    sample();
    return { outcome, heapMiB: (heap - start.heapUsed) / 1024 / 1024, rssMiB: (rss - start.rss) / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}
