import { performance } from 'node:perf_hooks';
import http from 'node:http';
import https from 'node:https';
import { startSimCluster } from '../src/sim/cluster.ts';
const tls = process.argv[2] === 'tls';
const sim = await startSimCluster({ nodes: 3, tls });
const agent = tls
  ? new https.Agent({ keepAlive: true, maxSockets: 32, ca: sim.caPem })
  : new http.Agent({ keepAlive: true, maxSockets: 32 });
const body = (i: number) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, labels: { app: 'x' } },
    spec: {
      containers: [{ name: 'main', image: 'pause', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  });
const post = (i: number) =>
  new Promise<void>((resolve, reject) => {
    const req = (tls ? https : http).request(
      `${sim.url}/api/v1/namespaces/default/pods`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end(body(i));
  });
let next = 0;
const total = 5000;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < total) await post(next++);
  }),
);
console.log(
  tls ? 'tls' : 'http',
  (total / ((performance.now() - t0) / 1000)).toFixed(0),
  'creates/s (same process)',
);
await sim.stop();
agent.destroy();
