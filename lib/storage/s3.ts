import "server-only";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Readable } from "node:stream";
import type { S3Settings } from "@/lib/config/env";
import { uploadStream } from "./s3-upload";
import { checkKey, ObjectMissingError, type ObjectStore } from "./store";

/**
 * Objects in an S3-compatible bucket through the AWS SDK: streamed multipart uploads in two reused
 * part buffers (./s3-upload.ts), streamed reads, and presigned download URLs. Checksums are computed only
 * where S3 requires them, which every S3-compatible server understands.
 */
export function s3Store(settings: S3Settings): ObjectStore {
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.accessKeyId && settings.secretAccessKey ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } : undefined,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = settings.bucket;
  const fullKey = (key: string) => settings.prefix + checkKey(key);
  return {
    kind: "s3",
    async put(key, body, options = {}) {
      const object = { Bucket, Key: fullKey(key), ContentType: options.contentType };
      if (!Buffer.isBuffer(body)) return { size: await uploadStream({ client, ...object }, body) };
      await client.send(new PutObjectCommand({ ...object, Body: body, ContentLength: body.byteLength }));
      return { size: body.byteLength };
    },
    async get(key) {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket, Key: fullKey(key) }));
        return answer.Body as Readable;
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") throw new ObjectMissingError(key);
        throw error;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: fullKey(key) }));
    },
    async list(prefix) {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: settings.prefix + prefix, ContinuationToken }));
        for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key.slice(settings.prefix.length));
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return keys;
    },
    async signedUrl(key, { expiresInSeconds, fileName, contentType }) {
      const disposition = `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`;
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: fullKey(key), ResponseContentDisposition: disposition, ResponseContentType: contentType }), { expiresIn: expiresInSeconds });
    },
  };
}
