import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";

export type FakeS3 = {
  /** The FANOUT_S3_* settings that point Fanout at this server. */
  env: Record<string, string>;
  endpoint: string;
  bucket: string;
  /** Where it keeps the objects (on this machine's disk: the fake's, not Fanout's). */
  directory: string;
  close: () => Promise<void>;
};

/**
 * An S3-compatible server on loopback (s3rver: the S3 REST API with SigV4 checks over a folder),
 * with one bucket, standing in for AWS S3, MinIO or R2, which cannot run here.
 */
export async function startFakeS3(bucket = "fanout-test"): Promise<FakeS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-fake-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    directory,
    env: { FANOUT_S3_BUCKET: bucket, FANOUT_S3_ENDPOINT: endpoint, FANOUT_S3_REGION: "us-east-1", FANOUT_S3_ACCESS_KEY_ID: "S3RVER", FANOUT_S3_SECRET_ACCESS_KEY: "S3RVER" },
    close: async () => {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
