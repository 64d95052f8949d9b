import type { ReactNode } from "react";
import { renderToReadableStream } from "react-dom/server";

/** Server HTML of a page that holds async server components (the task page's delivery log and replies), once all of it is ready. */
export async function renderAll(node: ReactNode): Promise<string> {
  const stream = await renderToReadableStream(node);
  await stream.allReady;
  return new Response(stream).text();
}
