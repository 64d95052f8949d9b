/** Bytes as a stream, the way a request body or a file arrives. */
export async function* streamOf(...parts: (string | number[] | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    yield typeof part === "string" ? new TextEncoder().encode(part) : Uint8Array.from(part);
  }
}

/** GB18030 bytes of a few Chinese names (checked against TextDecoder in the tests that use them). */
export const GB18030 = {
  zhangWei: [0xd5, 0xc5, 0xce, 0xb0], // 张伟
  wangFang: [0xcd, 0xf5, 0xb7, 0xbc], // 王芳
  zhongWen: [0xd6, 0xd0, 0xce, 0xc4], // 中文
};
