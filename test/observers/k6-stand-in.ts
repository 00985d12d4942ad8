/**
 * A recording stand-in for the k6 CLI, put first on PATH in a temp dir: it appends its argv (and
 * the env vars scars sets for k6) as a JSON line to $K6_STANDIN_LOG, checks the arguments and the
 * generated script (constant-arrival-rate, rate, url), then does what k6 does with them — sends
 * real requests to the (loopback) URL at the script's rate for its duration, bounded in count —
 * and writes k6's real formats: `--out json` Metric/Point lines flushed every 200 ms, and the
 * handleSummary data object (metrics.<name>.{type,contains,values}) to the SCARS_K6_SUMMARY file.
 * SIGTERM/SIGINT stop it gracefully with the summary written and exit 105, as k6 does.
 *
 * K6_STANDIN_EXIT=99 ends with thresholds failed (summary written, exit 99); 107 prints k6's
 * script-exception error and exits 107 without a summary.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const STAND_IN = String.raw`#!/usr/bin/env node
'use strict';
const fs = require('node:fs');
const argv = process.argv.slice(2);
const log = process.env.K6_STANDIN_LOG;
if (log) fs.appendFileSync(log, JSON.stringify({ argv, env: { K6_NO_USAGE_REPORT: process.env.K6_NO_USAGE_REPORT, SSL_CERT_FILE: process.env.SSL_CERT_FILE } }) + '\n');
function die(msg, code) { process.stderr.write('time="' + new Date().toISOString() + '" level=error msg="' + msg + '"\n'); process.exit(code); }
if (argv[0] !== 'run') die('unknown command ' + argv[0], 255);
const env = {}; let out; const rest = [];
for (let i = 1; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--env' || a === '-e') { const [k, ...v] = argv[++i].split('='); env[k] = v.join('='); }
  else if (a === '--out' || a === '-o') out = argv[++i];
  else if (a.startsWith('--')) { if (!['--quiet', '--no-color', '--no-usage-report'].includes(a)) die('unknown flag: ' + a, 255); }
  else rest.push(a);
}
if (rest.length !== 1) die('expected one script, got ' + JSON.stringify(rest), 255);
let script;
try { script = fs.readFileSync(rest[0], 'utf8'); } catch { die('The moduleSpecifier "' + rest[0] + '" couldn\'t be found on local disk.', 107); }
const grab = (name) => { const m = new RegExp('const ' + name + ' = (\\{[\\s\\S]*?\\n\\});').exec(script); if (!m) die('script has no ' + name, 107); return JSON.parse(m[1]); };
const options = grab('options');
const target = grab('target');
const sc = options.scenarios && options.scenarios.load;
if (!sc || sc.executor !== 'constant-arrival-rate') die('expected a constant-arrival-rate scenario', 104);
if (!/export function handleSummary/.test(script)) die('expected handleSummary', 107);
const ms = (d) => { const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(d); if (!m) die('bad duration ' + d, 104); return Number(m[1]) * (m[2] === 's' ? 1000 : 1); };
const rate = sc.rate / (ms(sc.timeUnit) / 1000);
const durationMs = ms(sc.duration);
const timeoutMs = ms(target.params.timeout);
const url = new URL(target.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && !url.hostname.startsWith('127.')) die('stand-in only sends to loopback, not ' + url.hostname, 107);
if (process.env.K6_STANDIN_EXIT === '107') die('Uncaught (in promise) TypeError: Cannot read properties of undefined (reading \'status\')\n\tat default (file://' + rest[0] + ':30:14(12))', 107);

const t0 = Date.now();
const pointsFile = out && out.startsWith('json=') ? out.slice(5) : undefined;
let pending = [];
const metricLine = (name, type, contains) => JSON.stringify({ type: 'Metric', data: { name, type, contains, thresholds: [], submetrics: null }, metric: name });
if (pointsFile) fs.writeFileSync(pointsFile, [metricLine('http_reqs', 'counter', 'default'), metricLine('http_req_duration', 'trend', 'time'), metricLine('http_req_failed', 'rate', 'default')].join('\n') + '\n');
const flush = () => { if (pointsFile && pending.length) { fs.appendFileSync(pointsFile, pending.join('\n') + '\n'); pending = []; } };
const flusher = setInterval(flush, 200);

const durations = [], okDurations = []; const statuses = {}; const errors = {};
let failed = 0, dropped = 0, inFlight = 0, maxSeen = 0, sent = 0, received = 0;
const MAX_REQUESTS = 3000;
function record(ms, status, errorCode) {
  durations.push(ms);
  const ok = status >= 200 && status < 400;
  if (ok) okDurations.push(ms); else failed++;
  if (status) statuses[status] = (statuses[status] || 0) + 1; else errors[errorCode] = (errors[errorCode] || 0) + 1;
  const tags = { expected_response: String(ok), group: '', method: target.method, name: target.url, proto: 'HTTP/1.1', scenario: 'load', status: String(status), url: target.url };
  if (!status) tags.error_code = String(errorCode);
  const time = new Date().toISOString();
  for (const [metric, value] of [['http_reqs', 1], ['http_req_duration', ms], ['http_req_failed', ok ? 0 : 1]])
    pending.push(JSON.stringify({ metric, type: 'Point', data: { time, value, tags } }));
}
async function one() {
  inFlight++; maxSeen = Math.max(maxSeen, inFlight);
  const start = performance.now();
  try {
    const res = await fetch(target.url, { method: target.method, headers: target.params.headers, body: target.body ?? undefined, signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.arrayBuffer();
    received += body.byteLength + 100; sent += 80;
    record(performance.now() - start, res.status);
  } catch (err) {
    const code = err.name === 'TimeoutError' ? 1050 : ({ ECONNREFUSED: 1212, ECONNRESET: 1220, UND_ERR_SOCKET: 1220 })[err.cause && err.cause.code] || 1000;
    record(performance.now() - start, 0, code);
  } finally { inFlight--; }
}
let stopping = false; let started = 0;
const inflight = new Set();
const ticker = setInterval(() => {
  const due = Math.min(MAX_REQUESTS, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
  while (!stopping && started < due && Date.now() - t0 < durationMs) {
    started++;
    if (inFlight >= sc.maxVUs) { dropped++; continue; }
    const p = one(); inflight.add(p); p.finally(() => inflight.delete(p));
  }
  if (Date.now() - t0 >= durationMs || started >= MAX_REQUESTS) finish(0);
}, 5);
const rank = (xs, q) => { if (!xs.length) return 0; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]; };
const trend = (xs) => ({ type: 'trend', contains: 'time', values: { avg: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0, min: xs.length ? Math.min(...xs) : 0, med: rank(xs, 0.5), max: xs.length ? Math.max(...xs) : 0, 'p(90)': rank(xs, 0.9), 'p(95)': rank(xs, 0.95), 'p(99)': rank(xs, 0.99) } });
async function finish(kind) {
  if (stopping) return; stopping = true; clearInterval(ticker);
  await Promise.race([Promise.all([...inflight]), new Promise((r) => setTimeout(r, timeoutMs))]);
  clearInterval(flusher); flush();
  const secs = Math.max(1, Date.now() - t0) / 1000; const n = durations.length;
  const counter = (count, contains = 'default') => ({ type: 'counter', contains, values: { count, rate: count / secs } });
  const thresholdsFailed = process.env.K6_STANDIN_EXIT === '99';
  const metrics = {
    http_reqs: counter(n), iterations: counter(n), data_sent: counter(sent, 'data'), data_received: counter(received, 'data'),
    http_req_failed: { type: 'rate', contains: 'default', values: { rate: n ? failed / n : 0, passes: failed, fails: n - failed } },
    http_req_duration: trend(durations),
    'http_req_duration{expected_response:true}': { ...trend(okDurations), thresholds: { 'max>=0': { ok: !thresholdsFailed } } },
    iteration_duration: trend(durations),
    vus: { type: 'gauge', contains: 'default', values: { value: inFlight, min: 0, max: maxSeen } },
    vus_max: { type: 'gauge', contains: 'default', values: { value: sc.maxVUs, min: sc.preAllocatedVUs, max: sc.maxVUs } },
  };
  if (dropped) metrics.dropped_iterations = counter(dropped);
  for (const [s, c] of Object.entries(statuses)) metrics['scars_status_' + s] = counter(c);
  for (const [e, c] of Object.entries(errors)) metrics['scars_error_' + e] = counter(c);
  const data = { root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: [], checks: [] }, options: { summaryTrendStats: options.summaryTrendStats, summaryTimeUnit: '', noColor: true }, state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: Date.now() - t0 }, metrics };
  if (env.SCARS_K6_SUMMARY) fs.writeFileSync(env.SCARS_K6_SUMMARY, JSON.stringify(data));
  if (kind === 'signal') { process.stderr.write('time="' + new Date().toISOString() + '" level=error msg="test run was aborted because k6 received a \'terminated\' signal"\n'); process.exit(105); }
  if (thresholdsFailed) { process.stderr.write('time="' + new Date().toISOString() + '" level=error msg="thresholds on metrics \'http_req_duration{expected_response:true}\' have been crossed"\n'); process.exit(99); }
  process.exit(0);
}
process.on('SIGTERM', () => finish('signal'));
process.on('SIGINT', () => finish('signal'));
`;

export interface StandInK6 {
  dir: string;
  /** PATH with the stand-in first. */
  path: string;
  log: string;
  /** The argv and env of each call so far. */
  calls(): { argv: string[]; env: Record<string, string | undefined> }[];
  dispose(): void;
}

export function standInK6(): StandInK6 {
  const dir = mkdtempSync(join(tmpdir(), 'scars-k6-standin-'));
  const bin = join(dir, 'bin');
  const file = join(bin, 'k6');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(log, '');
  mkdirSync(bin);
  writeFileSync(file, STAND_IN);
  chmodSync(file, 0o755);
  return {
    dir: bin,
    path: [bin, process.env.PATH ?? ''].join(delimiter),
    log,
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l: string) => JSON.parse(l) as { argv: string[]; env: Record<string, string | undefined> }),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
