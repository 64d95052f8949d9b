import type { ArchivedAttachment } from "./archive";

/** Images a browser shows and cannot run script from; everything else is served as bytes. */
const SAFE_IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/**
 * An archived attachment as a download, whoever's archive it comes from: always a download
 * (Content-Disposition: attachment, its name in RFC 5987 form with an ASCII fallback), never
 * sniffed, and sandboxed with nothing allowed should a browser render it anyway. Only the safe
 * image types keep their own type; HTML, SVG and the rest are application/octet-stream.
 */
export function attachmentResponse(file: ArchivedAttachment): Response {
  const type = file.contentType.toLowerCase().split(";")[0]!.trim();
  const name = file.fileName.replace(/[\u0000-\u001f\u007f]/g, "").trim() || "attachment";
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return new Response(new Uint8Array(file.content), {
    headers: {
      "Content-Type": SAFE_IMAGE_TYPES.has(type) ? type : "application/octet-stream",
      "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
      "Content-Length": String(file.content.byteLength),
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "sandbox; default-src 'none'",
      "Cache-Control": "private, no-store",
      "Referrer-Policy": "no-referrer",
    },
  });
}
