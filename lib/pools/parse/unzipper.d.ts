/** The part of unzipper's streaming reader that the XLSX reader uses (the package has no types). */
declare module "unzipper" {
  import type { PassThrough, Transform } from "node:stream";

  export interface Entry extends PassThrough {
    path: string;
    type: "File" | "Directory";
    autodrain(): unknown;
  }

  /** With `forceStream`, a stream of entries in archive order; each must be consumed or drained. */
  export function Parse(options: { forceStream: true }): Transform & AsyncIterable<Entry>;
}
