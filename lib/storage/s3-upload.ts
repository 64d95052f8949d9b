import "server-only";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";

/** S3's smallest part (but the last): 10,000 of them (its cap) hold 48 GiB, far past the largest upload allowed. */
export const PART_BYTES = 5 * 1024 * 1024;

type Target = { client: S3Client; Bucket: string; Key: string; ContentType?: string };

/**
 * A stream stored as one object: a single PUT when it fits in one part, else a multipart upload.
 * Parts are filled into two buffers made once per upload, one sent while the other fills, so an
 * upload of any size holds 10 MiB. @aws-sdk/lib-storage's Upload instead concatenates each part into
 * a new Buffer (and keeps the one before alive through the leftover bytes' view): glibc serves those
 * from its heap once the first is freed, and with 8 MiB parts that heap stayed ~30 MiB larger after a
 * 100 MiB upload, under the import that followed it (decision 0083).
 */
export async function uploadStream({ client, Bucket, Key, ContentType }: Target, body: Readable): Promise<number> {
  // The second buffer is made only when a first part is full: a small file never needs it.
  const buffers: Buffer[] = [Buffer.allocUnsafe(PART_BYTES)];
  const sending: (Promise<void> | undefined)[] = [undefined, undefined];
  const parts: CompletedPart[] = [];
  let uploadId: string | undefined;
  let current = 0;
  let filled = 0;
  let size = 0;
  let partNumber = 0;

  const sendPart = async (data: Buffer, PartNumber: number) => {
    const { ETag } = await client.send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: data, ContentLength: data.byteLength }));
    if (!ETag) throw new Error(`part ${PartNumber} of ${Key} was stored without an ETag`);
    parts.push({ PartNumber, ETag });
  };
  const sendFilled = async () => {
    uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))).UploadId;
    const sent = sendPart(buffers[current]!.subarray(0, filled), ++partNumber);
    // A failed part is seen when its buffer is needed again, or at the end.
    sent.catch(() => undefined);
    sending[current] = sent;
    current = 1 - current;
    filled = 0;
    buffers[current] ??= Buffer.allocUnsafe(PART_BYTES);
    await sending[current];
    sending[current] = undefined;
  };

  try {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      let bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += bytes.byteLength;
      while (bytes.byteLength > 0) {
        const taken = Math.min(bytes.byteLength, PART_BYTES - filled);
        buffers[current]!.set(bytes.subarray(0, taken), filled);
        filled += taken;
        bytes = bytes.subarray(taken);
        if (filled === PART_BYTES) await sendFilled();
      }
    }
    if (!uploadId) {
      await client.send(new PutObjectCommand({ Bucket, Key, ContentType, Body: buffers[current]!.subarray(0, filled), ContentLength: filled }));
      return size;
    }
    if (filled > 0) await sendFilled();
    await Promise.all(sending);
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    return size;
  } catch (error) {
    await Promise.allSettled(sending);
    if (uploadId) await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}
