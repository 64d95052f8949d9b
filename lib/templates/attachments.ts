import "server-only";
import crypto from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { attachments } from "@/db/schema";
import { authorize } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import { objectStore, readAll } from "@/lib/storage";
import type { Ctx } from "@/lib/access/context";
import { AppError, invalidInput } from "@/lib/errors";

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const MAX_ATTACHMENTS_TOTAL = 20 * 1024 * 1024;

/** Accepted types, each recognised by its first bytes, so a renamed executable is not a PDF. */
const TYPES: { extensions: string[]; contentType: string; matches: (head: Buffer) => boolean }[] = [
  { extensions: ["pdf"], contentType: "application/pdf", matches: (head) => head.subarray(0, 5).toString("latin1") === "%PDF-" },
  { extensions: ["png"], contentType: "image/png", matches: (head) => head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { extensions: ["jpg", "jpeg"], contentType: "image/jpeg", matches: (head) => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff },
  { extensions: ["gif"], contentType: "image/gif", matches: (head) => head.subarray(0, 4).toString("latin1") === "GIF8" },
  {
    extensions: ["docx", "xlsx", "pptx", "zip"],
    contentType: "application/zip",
    matches: (head) => head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04,
  },
  { extensions: ["txt", "csv", "ics"], contentType: "text/plain", matches: (head) => !head.includes(0) },
];
const OFFICE: Record<string, string> = {
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  csv: "text/csv",
  ics: "text/calendar",
};

/** Where an attachment's bytes are kept in the object store (lib/storage). */
export function attachmentKey(id: string) {
  return `attachments/${id}`;
}

/** Checks name, size and content, and returns the content type to send it with. */
export function checkAttachment(fileName: string, content: Buffer): string {
  const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? "";
  if (content.byteLength === 0) throw invalidInput("attachmentEmpty", { field: "attachments", params: { file: fileName } });
  if (content.byteLength > MAX_ATTACHMENT_BYTES) {
    throw new AppError("payload_too_large", "attachmentTooLarge", { field: "attachments", params: { file: fileName, size: (content.byteLength / 1024 / 1024).toFixed(1), max: MAX_ATTACHMENT_BYTES / 1024 / 1024 } });
  }
  const type = TYPES.find((candidate) => candidate.extensions.includes(extension));
  if (!type) throw invalidInput("attachmentTypeRefused", { field: "attachments", params: { file: fileName, extension } });
  if (!type.matches(content.subarray(0, 16))) throw invalidInput("attachmentContentMismatch", { field: "attachments", params: { file: fileName, extension } });
  return OFFICE[extension] ?? type.contentType;
}

export async function storeAttachment(ctx: Ctx, departmentId: string, fileName: string, content: Buffer) {
  authorize(ctx.actor, "templates.manage", { departmentId });
  const contentType = checkAttachment(fileName, content);
  const sha256 = crypto.createHash("sha256").update(content).digest("hex");
  const [row] = await ctx.db
    .insert(attachments)
    .values({ departmentId, fileName: fileName.slice(0, 200), contentType, sizeBytes: content.byteLength, sha256 })
    .returning();
  try {
    await objectStore().put(attachmentKey(row!.id), content, { contentType });
  } catch (error) {
    // No row may name bytes that were never stored.
    await ctx.db.delete(attachments).where(eq(attachments.id, row!.id));
    throw error;
  }
  await recordAudit(ctx.db, ctx.actor, {
    action: "attachment.upload",
    objectType: "attachment",
    objectId: row!.id,
    departmentId,
    summary: { key: "attachment.upload", params: { file: fileName, bytes: content.byteLength } },
  });
  return row!;
}

export async function loadAttachments(db: Executor, departmentId: string, ids: string[]) {
  if (ids.length === 0) return [];
  const rows = await db.select().from(attachments).where(and(eq(attachments.departmentId, departmentId), inArray(attachments.id, ids)));
  const total = rows.reduce((sum, row) => sum + row.sizeBytes, 0);
  if (total > MAX_ATTACHMENTS_TOTAL) throw invalidInput("attachmentsTooLarge", { field: "attachments", params: { max: MAX_ATTACHMENTS_TOTAL / 1024 / 1024 } });
  const store = objectStore();
  return Promise.all(
    ids.map(async (id) => {
      const row = rows.find((candidate) => candidate.id === id);
      if (!row) throw invalidInput("attachmentMissing", { field: "attachments" });
      return { ...row, content: await readAll(await store.get(attachmentKey(id))) };
    }),
  );
}
