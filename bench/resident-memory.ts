import fs from "node:fs";

const MIB = 1024 * 1024;
/** glibc reserves each thread arena as one aligned 64 MiB region, of which it uses a first part. */
const ARENA_BYTES = 64 * MIB;

type Mapping = { start: number; end: number; perms: string; path: string; residentKiB: number };

/** /proc/self/smaps as mappings with their resident size; empty where there is no /proc (not Linux). */
function mappings(): Mapping[] {
  let text: string;
  try {
    text = fs.readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return [];
  }
  const found: Mapping[] = [];
  for (const line of text.split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      found.push({ start: parseInt(header[1]!, 16), end: parseInt(header[2]!, 16), perms: header[3]!, path: header[4]!, residentKiB: 0 });
      continue;
    }
    const resident = /^Rss:\s+(\d+) kB/.exec(line);
    if (resident && found.length > 0) found[found.length - 1]!.residentKiB = Number(resident[1]);
  }
  return found;
}

function isArena(mapping: Mapping, next: Mapping | undefined): boolean {
  if (mapping.path !== "" || mapping.start % ARENA_BYTES !== 0) return false;
  if (mapping.end - mapping.start === ARENA_BYTES) return true;
  return next !== undefined && next.start === mapping.end && next.perms === "---p" && next.end - mapping.start === ARENA_BYTES;
}

/**
 * The resident set by where it lives, in MiB: mapped files (the node binary's code, mostly), glibc
 * malloc's heap and thread arenas (Buffers, native objects, freed memory malloc keeps), and other
 * anonymous memory (V8's heap pages, thread stacks). Null where /proc is not there.
 */
export function residentByKind(): { files: number; malloc: number; otherAnonymous: number } | null {
  const all = mappings();
  if (all.length === 0) return null;
  const kiB = { files: 0, malloc: 0, otherAnonymous: 0 };
  all.forEach((mapping, index) => {
    if (mapping.path.startsWith("/")) kiB.files += mapping.residentKiB;
    else if (mapping.path === "[heap]" || isArena(mapping, all[index + 1])) kiB.malloc += mapping.residentKiB;
    else kiB.otherAnonymous += mapping.residentKiB;
  });
  const mib = (value: number) => Math.round((value / 1024) * 10) / 10;
  return { files: mib(kiB.files), malloc: mib(kiB.malloc), otherAnonymous: mib(kiB.otherAnonymous) };
}
