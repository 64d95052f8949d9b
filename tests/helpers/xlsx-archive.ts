import zlib from "node:zlib";

/** Literal bytes, or one block repeated: a repeated block is deflated once and its output repeated. */
export type ArchivePart = string | { repeat: string; times: number };

/**
 * A zip archive written by hand, so a part can inflate to gigabytes from a few megabytes without
 * the test ever holding (or compressing) the inflated bytes: each block is deflated on its own
 * with a full flush, which makes the deflated blocks valid in any order and number.
 */
export function zipArchive(entries: { name: string; parts: ArchivePart[] }[]): Uint8Array {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, parts } of entries) {
    const deflated: Buffer[] = [];
    let crc = 0;
    let size = 0;
    for (const part of parts) {
      const block = Buffer.from(typeof part === "string" ? part : part.repeat);
      const times = typeof part === "string" ? 1 : part.times;
      const segment = zlib.deflateRawSync(block, { finishFlush: zlib.constants.Z_FULL_FLUSH });
      for (let i = 0; i < times; i++) {
        deflated.push(segment);
        crc = zlib.crc32(block, crc);
        size += block.byteLength;
      }
    }
    deflated.push(zlib.deflateRawSync(Buffer.alloc(0)));
    const data = Buffer.concat(deflated);
    const fileName = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0, 6);
    header.writeUInt16LE(8, 8);
    header.writeUInt32LE(0, 10);
    header.writeUInt32LE(crc >>> 0, 14);
    header.writeUInt32LE(data.byteLength, 18);
    header.writeUInt32LE(size, 22);
    header.writeUInt16LE(fileName.byteLength, 26);
    header.writeUInt16LE(0, 28);
    locals.push(header, fileName, data);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(20, 4);
    record.writeUInt16LE(20, 6);
    header.copy(record, 8, 6, 30);
    record.writeUInt32LE(offset, 42);
    central.push(record, fileName);
    offset += header.byteLength + fileName.byteLength + data.byteLength;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.byteLength, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

const MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/**
 * A one-sheet workbook in Excel's part order (the sheet before the shared strings). `sheetRows`
 * and `sharedStrings` are the XML inside <sheetData> and <sst>; either may be repeated.
 */
export function workbookArchive(options: { sheetRows: ArchivePart[]; sharedStrings?: ArchivePart[]; extra?: { name: string; parts: ArchivePart[] }[] }) {
  const entries = [
    {
      name: "[Content_Types].xml",
      parts: [
        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
          `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
          `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
          `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
          `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
      ],
    },
    {
      name: "_rels/.rels",
      parts: [
        `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
          `<Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      ],
    },
    {
      name: "xl/workbook.xml",
      parts: [`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="List" sheetId="1" r:id="rId1"/></sheets></workbook>`],
    },
    {
      name: "xl/_rels/workbook.xml.rels",
      parts: [
        `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
          `<Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/>` +
          `<Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
      ],
    },
    {
      name: "xl/worksheets/sheet1.xml",
      parts: [`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><sheetData>`, ...options.sheetRows, `</sheetData></worksheet>`],
    },
    ...(options.sharedStrings
      ? [{ name: "xl/sharedStrings.xml", parts: [`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}">`, ...options.sharedStrings, `</sst>`] }]
      : []),
    ...(options.extra ?? []),
  ];
  return zipArchive(entries);
}
