/** Names and values a form post may carry: a few fields, never a file. */
const MAX_PAIRS = 100;

const HEX = /^[0-9a-f]{2}$/i;

/** `+` and `%XX` of a urlencoded name or value, on its bytes (any other byte is kept as it came). */
function percentDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    const hex = byte === 0x25 ? String.fromCharCode(bytes[index + 1] ?? 0, bytes[index + 2] ?? 0) : "";
    if (byte === 0x2b) out[length++] = 0x20;
    else if (hex && HEX.test(hex)) {
      out[length++] = parseInt(hex, 16);
      index += 2;
    } else out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** The body split at `&` and `=`, as bytes. */
function splitPairs(body: Uint8Array): [Uint8Array, Uint8Array][] {
  const pairs: [Uint8Array, Uint8Array][] = [];
  let start = 0;
  for (let index = 0; index <= body.length && pairs.length < MAX_PAIRS; index++) {
    if (index < body.length && body[index] !== 0x26) continue;
    const part = body.subarray(start, index);
    start = index + 1;
    if (part.length === 0) continue;
    const at = part.indexOf(0x3d);
    pairs.push(at < 0 ? [part, new Uint8Array()] : [part.subarray(0, at), part.subarray(at + 1)]);
  }
  return pairs;
}

function decoderFor(label: string | null | undefined): TextDecoder {
  try {
    const decoder = new TextDecoder(label?.trim() || "utf-8");
    // Browsers never post a form in UTF-16 (a UTF-16 page posts UTF-8); a label saying so is not believed.
    return decoder.encoding.startsWith("utf-16") ? new TextDecoder("utf-8") : decoder;
  } catch {
    return new TextDecoder("utf-8");
  }
}

/**
 * An `application/x-www-form-urlencoded` body in the encoding it was written in. A browser encodes
 * a form in its page's charset: the snippet asks for UTF-8 (`accept-charset`) and carries a hidden
 * `_charset_`, which browsers fill with the encoding they used, so a post from a GB18030 or Big5
 * page is read as such. A byte that is not text in that encoding becomes U+FFFD, which the
 * submission refuses by field instead of storing. The first value of a name wins.
 */
export function parseUrlEncoded(body: Uint8Array, contentType: string | null): Record<string, string> {
  const pairs = splitPairs(body).map(([name, value]) => [percentDecode(name), percentDecode(value)] as const);
  const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes.subarray(0, 40));
  const declared = /;\s*charset="?([\w.:-]+)"?/i.exec(contentType ?? "")?.[1];
  const charsetPair = pairs.find(([name]) => ascii(name) === "_charset_");
  const named = charsetPair ? ascii(charsetPair[1]) : undefined;
  const decoder = decoderFor(declared ?? (named && /^[\w.:-]{1,40}$/.test(named) ? named : undefined));
  const values: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = decoder.decode(name);
    if (!Object.hasOwn(values, key)) values[key] = decoder.decode(value);
  }
  return values;
}

/** A form post's values (urlencoded or multipart, files left out), or null when the body is not a form. */
export async function readFormValues(body: Uint8Array, contentType: string | null): Promise<Record<string, string> | null> {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") return parseUrlEncoded(body, contentType);
  if (type !== "multipart/form-data") return null;
  try {
    const form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType! } }).formData();
    const values: Record<string, string> = {};
    let count = 0;
    for (const [name, value] of form.entries()) {
      if (++count > MAX_PAIRS) break;
      if (typeof value === "string" && !Object.hasOwn(values, name)) values[name] = value;
    }
    return values;
  } catch {
    return null;
  }
}
