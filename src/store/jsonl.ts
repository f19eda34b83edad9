/** JSON Lines files the store writes for DuckDB to read back (match lists, value combinations). */
import { promises as fsp } from 'node:fs';
import { sqlString } from './db.js';

/**
 * JSON Lines written to a file as they come (in blocks), so lists that grow with the number of
 * events do not have to fit in memory; DuckDB reads the file back.
 */
export class JsonlSink {
  private buf = '';
  count = 0;
  constructor(readonly path: string) {}

  async add(line: string): Promise<void> {
    this.buf += line + '\n';
    this.count++;
    if (this.buf.length > 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf) await fsp.appendFile(this.path, this.buf);
    this.buf = '';
  }

  /** A relation over the lines with the given DuckDB column types (empty when there are none). */
  async relation(columns: Record<string, string>): Promise<string> {
    await this.flush();
    if (this.count === 0) return `SELECT ${Object.entries(columns).map(([k, t]) => `NULL::${t} AS ${k}`).join(', ')} WHERE FALSE`;
    return `SELECT * FROM read_json(${sqlString(this.path)}, format = 'newline_delimited', columns = {${Object.entries(columns).map(([k, t]) => `'${k}': '${t}'`).join(', ')}})`;
  }

  async remove(): Promise<void> {
    await fsp.rm(this.path, { force: true });
  }
}
