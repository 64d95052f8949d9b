/** Text of bytes in a declared charset; unknown labels and bare ISO-2022-JP fall back sensibly. */
export function decodeBytes(bytes: Uint8Array, charset?: string | null): string {
  const label = normaliseCharset(charset) ?? (hasIso2022Escapes(bytes) ? "iso-2022-jp" : "utf-8");
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder("utf-8").decode(bytes);
  }
}

function normaliseCharset(charset?: string | null): string | null {
  const label = charset?.trim().toLowerCase().replace(/^["']|["']$/g, "");
  if (!label || label === "us-ascii" || label === "ascii" || label === "unknown-8bit" || label === "x-unknown") return null;
  // GB2312 text often carries GBK characters; GB18030 is a superset of both.
  if (label === "gb2312" || label === "gbk" || label === "cp936" || label === "x-gbk") return "gb18030";
  if (label === "iso-2022-jp-1" || label === "iso-2022-jp-2") return "iso-2022-jp";
  return label;
}

function hasIso2022Escapes(bytes: Uint8Array): boolean {
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0x1b && bytes[i + 1] === 0x24 && (bytes[i + 2] === 0x42 || bytes[i + 2] === 0x40)) return true;
  }
  return false;
}

export function decodeQuotedPrintable(input: string): Uint8Array {
  const text = input.replace(/=\r?\n/g, "");
  const bytes = new Uint8Array(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes[length++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      bytes[length++] = char & 0xff;
    }
  }
  return bytes.subarray(0, length);
}

/** RFC 2047 encoded words (=?charset?B|Q?…?=) in a header value. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, "$1")
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, encoding: string, text: string) => {
      const bytes = encoding.toUpperCase() === "B" ? Buffer.from(text, "base64") : decodeQuotedPrintable(text.replace(/_/g, " "));
      return decodeBytes(bytes, charset);
    });
}
