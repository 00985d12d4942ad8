/**
 * Reads k6's `--out json=<file>` stream while k6 runs: one JSON object per line, `{"type":"Metric",
 * …}` once per metric and `{"type":"Point","metric":…,"data":{"time","value","tags"}}` per sample,
 * flushed by k6 every 200 ms. Each `read()` takes the complete lines written since the last one
 * and sums the `http_req_duration` points (one per request, failed ones included, tagged with
 * `status`, `expected_response` and, without a response, `error_code`) into one slice.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { LatencySamples } from '../../../agent/stats.ts';
import { k6ErrorCause } from './summary.ts';

export interface PointSlice {
  requests: number;
  failed: number;
  p95: number;
  p99: number;
  /** Failures by cause: HTTP status (`503`) or transport error (`ECONNREFUSED`, `timeout`). */
  causes: Record<string, number>;
  /** Lines that were not k6 JSON (counted, not fatal: the next line may be fine). */
  badLines: number;
}

interface PointLine {
  type?: unknown;
  metric?: unknown;
  data?: { value?: unknown; tags?: Record<string, unknown> | null };
}

const CHUNK = 1 << 16;

export class K6PointReader {
  private offset = 0;
  private partial = '';

  constructor(private readonly file: string) {}

  /** The points written since the last read, as one slice (requests 0 when none). */
  read(): PointSlice {
    const text = this.partial + this.readNew();
    const end = text.lastIndexOf('\n');
    this.partial = end < 0 ? text : text.slice(end + 1);
    return summarizeLines(end < 0 ? [] : text.slice(0, end).split('\n'));
  }

  private readNew(): string {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return ''; // k6 has not created it yet.
    }
    try {
      const chunks: Buffer[] = [];
      for (;;) {
        const buf = Buffer.alloc(CHUNK);
        const n = readSync(fd, buf, 0, CHUNK, this.offset);
        if (n === 0) break;
        this.offset += n;
        chunks.push(buf.subarray(0, n));
      }
      return Buffer.concat(chunks).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
}

export function summarizeLines(lines: readonly string[]): PointSlice {
  const latencies = new LatencySamples();
  const causes: Record<string, number> = {};
  let requests = 0;
  let failed = 0;
  let badLines = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    let p: PointLine;
    try {
      p = JSON.parse(line) as PointLine;
    } catch {
      badLines++;
      continue;
    }
    if (p.type !== 'Point' || p.metric !== 'http_req_duration') continue;
    const value = p.data?.value;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      badLines++;
      continue;
    }
    requests++;
    latencies.add(value);
    const tags = p.data?.tags ?? {};
    if (tags.expected_response === 'true') continue;
    failed++;
    const status = typeof tags.status === 'string' ? tags.status : '0';
    const cause =
      status !== '0' && status !== ''
        ? status
        : tags.error_code !== undefined
          ? k6ErrorCause(String(tags.error_code))
          : 'error';
    causes[cause] = (causes[cause] ?? 0) + 1;
  }
  const s = latencies.summary();
  return { requests, failed, p95: s?.p95Ms ?? 0, p99: s?.p99Ms ?? 0, causes, badLines };
}
