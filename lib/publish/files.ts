/** The files of a run folder as they are uploaded: which, with what content type, shown how. */
import { readdir, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative } from 'node:path';

/** Content type of a run-folder file, by extension. */
export function contentTypeOf(file: string): string {
  switch (extname(file).toLowerCase()) {
    case '.json':
      return 'application/json';
    case '.jsonl':
    case '.ndjson':
      return 'application/x-ndjson';
    case '.xml':
      return 'application/xml';
    case '.html':
    case '.htm':
      return 'text/html; charset=utf-8';
    case '.txt':
    case '.log':
      return 'text/plain; charset=utf-8';
    case '.csv':
      return 'text/csv; charset=utf-8';
    case '.yaml':
    case '.yml':
      return 'application/yaml';
    default:
      return 'application/octet-stream';
  }
}

/** Every regular file under `dir` (symbolic links followed), as paths relative to `dir` with `/`, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true });
    for (const entry of entries) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const s = await stat(join(dir, rel));
        isDir = s.isDirectory();
        isFile = s.isFile();
      }
      if (isDir) await walk(rel);
      else if (isFile) out.push(rel);
    }
  };
  await walk('');
  return out.sort();
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
}

/** `2.4 MB` (decimal megabytes; two decimals below 1 MB). */
export function formatMegabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb < 1 ? mb.toFixed(2) : mb.toFixed(1)} MB`;
}
