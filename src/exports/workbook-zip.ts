/**
 * An export workbook's zip, read through its central directory: each entry from where the
 * directory says it is, its inflated bytes checked against the directory's size and CRC-32.
 *
 * Why not exceljs's own streaming pass (unzipper's Parse over the whole file): there a damaged
 * entry's inflate error is emitted on the zip stream, not on the entry being read, so the entry
 * neither ends nor fails and the read hangs until its deadline; the end of an entry written with
 * a data descriptor (as exceljs's streaming writer writes them) is found by searching its
 * compressed bytes for a signature; and the last entries are sometimes lost (exceljs#3064).
 * unzipper's directory reader hands an inflate error to the entry, and knows every entry's size.
 *
 * unzipper closes none of the file streams it opens when a read fails: every one is kept here,
 * so that `close` (a read done, failed, past its deadline or abandoned) ends them all.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import type unzipper from "unzipper";

export type ZipEntry = unzipper.File;

/** The file's byte ranges as unzipper asks for them, each kept until closed. */
class FileRanges {
  readonly #open = new Set<Readable>();
  constructor(private readonly path: string) {}

  async size(): Promise<number> {
    return (await stat(this.path)).size;
  }

  stream(offset: number, length?: number): Readable {
    const stream = createReadStream(this.path, { start: offset, ...(length ? { end: offset + length - 1 } : {}) });
    this.track(stream);
    // unzipper pipes it without listening for its errors: unheard, one would end the process.
    // Every open range fails with it, so whatever reads them hears it.
    stream.on("error", (error) => {
      for (const open of this.#open) open.destroy(error);
    });
    return stream;
  }

  track(stream: Readable): void {
    this.#open.add(stream);
    stream.once("close", () => this.#open.delete(stream));
  }

  close(): void {
    for (const stream of this.#open) stream.destroy();
  }
}

export class WorkbookZip {
  private constructor(
    readonly entries: readonly ZipEntry[],
    private readonly ranges: FileRanges,
  ) {}

  /** Reads `path`'s directory; throws what unzipper throws for a file that has none. */
  static async open(path: string): Promise<WorkbookZip> {
    // Loaded on the first file, like exceljs: a gateway that never reads one never holds their code.
    const { default: zip } = await import("unzipper");
    const ranges = new FileRanges(path);
    try {
      return new WorkbookZip((await zip.Open.custom(ranges)).files, ranges);
    } finally {
      // The directory is read whole: the ranges it was read through are done with.
      ranges.close();
    }
  }

  entry(path: string): ZipEntry | undefined {
    return this.entries.find((entry) => entry.path === path);
  }

  /**
   * The entry's inflated bytes. A stream that fails, ends short, runs past the directory's size
   * or whose CRC-32 differs is an error naming the entry: a damaged file is never fewer rows.
   */
  async *content(entry: ZipEntry): AsyncGenerator<Buffer> {
    const stream = entry.stream();
    this.ranges.track(stream);
    // unzipper emits the inflate error on the entry without destroying it: destroyed, the error
    // stays with the stream and reaches its reader whenever it reads.
    stream.on("error", (error) => stream.destroy(error));
    let size = 0;
    let crc = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > entry.uncompressedSize) throw new Error(`more than the ${entry.uncompressedSize} bytes the directory gives`);
        crc = crc32(chunk, crc);
        yield chunk;
      }
      if (size !== entry.uncompressedSize) throw new Error(`${size} bytes, the directory gives ${entry.uncompressedSize}`);
      if (crc !== entry.crc32) throw new Error("CRC-32 differs from the directory's");
    } catch (error) {
      throw new Error(`${entry.path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      stream.destroy();
    }
  }

  /** `content` as a stream, for exceljs's parts that read streams. */
  stream(entry: ZipEntry): Readable {
    return Readable.from(this.content(entry), { objectMode: false });
  }

  /** Ends every stream still open: a read stopped mid-entry holds no file handle. */
  close(): void {
    this.ranges.close();
  }
}
