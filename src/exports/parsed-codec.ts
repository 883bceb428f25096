/**
 * The parsed form of an export as bytes, to share it between replicas (Redis): a short JSON
 * description (domains, sheet names, headers, distinct texts) followed by the typed arrays
 * themselves, each 8-byte aligned, so decoding is views over the bytes, not a copy or a parse
 * per value. A 31-day, 100-domain export is about as many bytes as it holds in memory.
 *
 * Layout: "CXP1", u32 LE length of the JSON, the JSON (UTF-8), padding to 8, the arrays.
 * Anything else (another version, a cut or corrupted value) decodes to an error: the caller
 * reads the file again.
 */
import { z } from "zod";
import type { Measure } from "./header-table.js";
import type { CodeArray, NumberArray, RawColumn } from "./raw-column.js";
import type { RawSheet } from "./raw-sheet.js";
import type { UsageTable } from "./usage-table.js";
import { parsedExport, type ParsedExport } from "./parsed-export.js";

const MAGIC = Buffer.from("CXP1", "latin1");
const HEAD_BYTES = 8;

const ARRAY_TYPES = {
  f64: Float64Array,
  f32: Float32Array,
  u32: Uint32Array,
  u16: Uint16Array,
  u8: Uint8Array,
} as const;
type ArrayType = keyof typeof ARRAY_TYPES;
type AnyArray = Float64Array | NumberArray | CodeArray;

const arrayRef = z.object({ type: z.enum(["f64", "f32", "u32", "u16", "u8"]), offset: z.int().min(0), length: z.int().min(0) });
type ArrayRef = z.infer<typeof arrayRef>;
const measureColumns = z.array(arrayRef).nullable();
const meta = z.object({
  usage: z.object({
    usageType: z.enum(["FLOW", "VAS"]),
    domains: z.array(z.string()),
    rowCount: z.int().min(0),
    byteSize: z.number().min(0),
    times: arrayRef,
    values: z.object({ traffic: measureColumns, bandwidth: measureColumns, requests: measureColumns }),
  }),
  sheets: z.array(
    z.object({
      name: z.string(),
      headers: z.array(z.string()),
      rowCount: z.int().min(0),
      byteSize: z.number().min(0),
      columns: z.array(z.object({ codes: z.union([arrayRef, z.int().min(0)]), numbers: arrayRef.nullable(), texts: z.array(z.string()) })),
    }),
  ),
});
type Meta = z.infer<typeof meta>;

export class ParsedCodecError extends Error {
  constructor(problem: string) {
    super(`stored parsed export unreadable: ${problem}`);
    this.name = "ParsedCodecError";
  }
}

export function encodeParsedExport(parsed: ParsedExport): Buffer {
  const arrays: AnyArray[] = [];
  let offset = 0;
  const ref = (array: AnyArray): ArrayRef => {
    const at = offset;
    arrays.push(array);
    offset += align(array.byteLength);
    return { type: typeOf(array), offset: at, length: array.length };
  };
  const { usage } = parsed;
  const description: Meta = {
    usage: {
      usageType: usage.usageType,
      domains: [...usage.domains],
      rowCount: usage.rowCount,
      byteSize: usage.byteSize,
      times: ref(usage.times),
      values: {
        traffic: usage.values.traffic?.map(ref) ?? null,
        bandwidth: usage.values.bandwidth?.map(ref) ?? null,
        requests: usage.values.requests?.map(ref) ?? null,
      },
    },
    sheets: parsed.sheets.map((sheet) => ({
      name: sheet.name,
      headers: [...sheet.headers],
      rowCount: sheet.rowCount,
      byteSize: sheet.byteSize,
      columns: sheet.columns.map((column) => ({
        codes: typeof column.codes === "number" ? column.codes : ref(column.codes),
        numbers: column.numbers === null ? null : ref(column.numbers),
        texts: [...column.texts],
      })),
    })),
  };
  const json = Buffer.from(JSON.stringify(description), "utf8");
  const dataStart = align(HEAD_BYTES + json.length);
  const out = Buffer.alloc(dataStart + offset);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(json.length, 4);
  json.copy(out, HEAD_BYTES);
  let at = dataStart;
  for (const array of arrays) {
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
    at += align(array.byteLength);
  }
  return out;
}

export function decodeParsedExport(stored: Uint8Array): ParsedExport {
  // Typed views need their element size's alignment; a Buffer may sit anywhere in its pool.
  const bytes: Uint8Array<ArrayBuffer> =
    stored.byteOffset % 8 === 0 && stored.buffer instanceof ArrayBuffer ? new Uint8Array(stored.buffer, stored.byteOffset, stored.length) : new Uint8Array(stored);
  if (bytes.length < HEAD_BYTES || !MAGIC.equals(bytes.subarray(0, 4))) throw new ParsedCodecError("not a parsed export of this version");
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(4, true);
  if (HEAD_BYTES + jsonLength > bytes.length) throw new ParsedCodecError("cut short");
  let description: Meta;
  try {
    description = meta.parse(JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + HEAD_BYTES, jsonLength).toString("utf8")));
  } catch {
    throw new ParsedCodecError("description malformed");
  }
  const dataStart = bytes.byteOffset + align(HEAD_BYTES + jsonLength);
  const dataEnd = bytes.byteOffset + bytes.length;
  const view = (ref: ArrayRef): AnyArray => {
    const Type = ARRAY_TYPES[ref.type];
    const start = dataStart + ref.offset;
    if (start + ref.length * Type.BYTES_PER_ELEMENT > dataEnd) throw new ParsedCodecError("an array runs past the end");
    return new Type(bytes.buffer, start, ref.length);
  };
  const float64 = (ref: ArrayRef): Float64Array => {
    const array = view(ref);
    if (!(array instanceof Float64Array)) throw new ParsedCodecError("a usage column is not float64");
    return array;
  };
  const { usage } = description;
  const values: Record<Measure, Float64Array[] | null> = {
    traffic: usage.values.traffic?.map(float64) ?? null,
    bandwidth: usage.values.bandwidth?.map(float64) ?? null,
    requests: usage.values.requests?.map(float64) ?? null,
  };
  const table: UsageTable = { usageType: usage.usageType, domains: usage.domains, times: float64(usage.times), values, rowCount: usage.rowCount, byteSize: usage.byteSize };
  const sheets: RawSheet[] = description.sheets.map((sheet) => ({
    name: sheet.name,
    headers: sheet.headers,
    rowCount: sheet.rowCount,
    byteSize: sheet.byteSize,
    columns: sheet.columns.map((column): RawColumn => {
      const codes = typeof column.codes === "number" ? column.codes : view(column.codes);
      if (typeof codes !== "number" && !(codes instanceof Uint8Array || codes instanceof Uint16Array || codes instanceof Uint32Array)) throw new ParsedCodecError("codes are not unsigned");
      if (typeof codes !== "number" && codes.length < sheet.rowCount) throw new ParsedCodecError("fewer codes than rows");
      const numbers = column.numbers === null ? null : view(column.numbers);
      if (numbers instanceof Uint8Array || numbers instanceof Uint16Array) throw new ParsedCodecError("numbers are not 32 or 64 bits");
      return { codes, numbers, texts: column.texts };
    }),
  }));
  return parsedExport(table, sheets);
}

function align(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

function typeOf(array: AnyArray): ArrayType {
  if (array instanceof Float64Array) return "f64";
  if (array instanceof Float32Array) return "f32";
  if (array instanceof Uint32Array) return "u32";
  if (array instanceof Uint16Array) return "u16";
  return "u8";
}
