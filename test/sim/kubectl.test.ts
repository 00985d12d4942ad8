/**
 * Real kubectl (1.27, the 1.32 on PATH, 1.33) against a `scars sim serve` process over HTTPS.
 * Each version works in its own namespace of one shared simulated cluster. What the kubelet and
 * the disruption controller would write (they come in part 2) is written over the API.
 * Only `kubectl logs` uses an in-process sim: container output has no API to write it through.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiKubelet, apiKubelet } from '../support/api-kubelet.ts';
import { type CliProcess, startCli } from '../support/cli.ts';
import { waitFor } from '../support/wait.ts';
import { findKubectl, kubectlRunner } from '../support/kubectl.ts';
import { podManifest, runPod, startTestSim, type TestSim } from '../support/sim.ts';

// SCARS_KUBECTL_VERSIONS=1.27,1.28,…,default widens the matrix (each version adds about 10 s).
const VERSIONS = (process.env.SCARS_KUBECTL_VERSIONS?.split(',') ?? ['1.27', 'default', '1.33']).map((v) =>
  v.trim(),
);
const binaries = VERSIONS.map((v) => ({ wanted: v, bin: findKubectl(v) }));
for (const { wanted, bin } of binaries) {
  if (!bin)
    console.warn(
      `kubectl ${wanted === 'default' ? 'on PATH' : wanted} not found: its compatibility tests are skipped`,
    );
}

const dir = mkdtempSync(join(tmpdir(), 'scars-kubectl-'));
const kubeconfigPath = join(dir, 'kubeconfig');
let serve: CliProcess | undefined;
let api: ApiKubelet;
beforeAll(async () => {
  // The API server alone: these tests bind pods and report their status themselves, as a kubelet would.
  serve = startCli(['sim', 'serve', '--kubeconfig', kubeconfigPath, '--nodes', '6', '--api-only']);
  await serve.waitForOutput(/scars sim: ready at https:/);
  api = apiKubelet(kubeconfigPath);
});
afterAll(async () => {
  api?.close();
  serve?.child.kill('SIGTERM');
  const r = await serve?.done;
  expect(r?.code).toBe(0);
});

const notFound = async (read: Promise<unknown>): Promise<boolean> =>
  read.then(
    () => false,
    (error: unknown) => (error as { code?: number }).code === 404,
  );

const deployment = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        env:
        - {name: MODE, value: serve}
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {level: info}
`;

for (const { wanted, bin } of binaries) {
  const label = bin
    ? `kubectl ${bin.version}${wanted === 'default' ? ' (PATH)' : ''}`
    : `kubectl ${wanted} (not found on this machine)`;
  describe.skipIf(!bin)(label, () => {
    const ns = `k${(bin?.version ?? wanted).replace('.', '')}`;
    let k: ReturnType<typeof kubectlRunner>;
    beforeAll(async () => {
      if (!bin) return;
      k = kubectlRunner(bin, kubeconfigPath);
      await k.ok(
        ['create', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }),
      );
    });

    it('version reports the simulated server', async () => {
      const out = JSON.parse(await k.ok(['version', '-o', 'json'])) as {
        serverVersion: { gitVersion: string };
      };
      expect(out.serverVersion.gitVersion).toBe('v1.32.0+scars-sim');
    });

    it('api-resources lists the served kinds, with short names', async () => {
      const out = await k.ok(['api-resources']);
      expect(out.split('\n')[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/);
      for (const line of [
        /^pods\s+po\s+v1\s+true\s+Pod$/m,
        /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
        /^poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget$/m,
        /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m,
      ]) {
        expect(out).toMatch(line);
      }
    });

    it('apply creates, reconfigures with a three-way strategic merge, and reports unchanged', async () => {
      const file = join(dir, `${ns}-app.yaml`);
      writeFileSync(file, deployment('nginx:1.25'));
      expect(await k.ok(['apply', '-n', ns, '-f', file])).toMatch(
        /deployment.apps\/web created\nservice\/web created\nconfigmap\/settings created/,
      );
      writeFileSync(file, deployment('nginx:1.27'));
      expect(await k.ok(['apply', '-n', ns, '-f', file])).toMatch(
        /deployment.apps\/web configured\nservice\/web unchanged\nconfigmap\/settings unchanged/,
      );
      const image = await k.ok([
        'get',
        'deploy',
        'web',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].value} {.metadata.generation}',
      ]);
      expect(image).toBe('nginx:1.27 serve 2');
    });

    it('server-side apply: field managers, conflicts, and --force-conflicts', async () => {
      const cm = (value: string) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {level: ${value}}\n`;
      expect(await k.ok(['apply', '--server-side', '-n', ns, '-f', '-'], cm('info'))).toMatch(
        /configmap\/ssa serverside-applied/,
      );
      const conflict = await k.run(
        ['apply', '--server-side', '--field-manager=ops', '-n', ns, '-f', '-'],
        cm('debug'),
      );
      expect(conflict.exitCode).not.toBe(0);
      expect(conflict.stderr).toMatch(/Apply failed with 1 conflict: conflict with "kubectl": \.data\.level/);
      expect(
        await k.ok(
          ['apply', '--server-side', '--field-manager=ops', '--force-conflicts', '-n', ns, '-f', '-'],
          cm('debug'),
        ),
      ).toMatch(/serverside-applied/);
      const managers = JSON.parse(
        await k.ok(['get', 'cm', 'ssa', '-n', ns, '-o', 'json', '--show-managed-fields']),
      ) as { data: { level: string }; metadata: { managedFields: { manager: string; operation: string }[] } };
      expect(managers.data.level).toBe('debug');
      expect(managers.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`)).toContain(
        'ops/Apply',
      );
    });

    it('get renders server-side Tables (plain and -o wide) and yaml/json with defaults', async () => {
      await k.ok(['create', '-n', ns, '-f', '-'], JSON.stringify(podManifest('solo')));
      await api.runPod(ns, 'solo', 'scars-worker');
      const plain = await k.ok(['get', 'pods', '-n', ns]);
      expect(plain).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
      expect(plain).toMatch(/^solo\s+1\/1\s+Running\s+0\s+\d+s$/m);
      const wide = await k.ok(['get', 'pod', 'solo', '-n', ns, '-o', 'wide']);
      expect(wide).toMatch(
        /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/,
      );
      expect(wide).toMatch(/scars-worker\s+<none>\s+<none>/);
      const yaml = await k.ok(['get', 'pod', 'solo', '-n', ns, '-o', 'yaml']);
      expect(yaml).toMatch(/restartPolicy: Always/);
      expect(yaml).toMatch(/dnsPolicy: ClusterFirst/);
      expect(yaml).toMatch(/terminationGracePeriodSeconds: 30/);
      const json = JSON.parse(await k.ok(['get', 'svc', 'web', '-n', ns, '-o', 'json'])) as {
        spec: { clusterIP: string; type: string };
      };
      expect(json.spec.type).toBe('ClusterIP');
      expect(json.spec.clusterIP).toMatch(/^10\.96\./);
      const nodes = await k.ok(['get', 'nodes']);
      expect(nodes).toMatch(/^scars-control-plane\s+Ready\s+control-plane\s+\S+\s+v1\.32\.0$/m);
      const deploy = await k.ok(['get', 'deploy', '-n', ns]);
      expect(deploy).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/1\s+0\s+0\s+/);
    });

    it('describe shows the object', async () => {
      const out = await k.ok(['describe', 'pod', 'solo', '-n', ns]);
      expect(out).toMatch(/^Name:\s+solo$/m);
      expect(out).toMatch(/^Namespace:\s+k/m);
      expect(out).toMatch(/^Node:\s+scars-worker\//m);
      expect(out).toMatch(/^Status:\s+Running$/m);
    });

    it('label, annotate, and selectors find by label', async () => {
      expect(await k.ok(['label', 'pod', 'solo', '-n', ns, 'tier=front'])).toMatch(/pod\/solo labeled/);
      expect(await k.ok(['annotate', 'pod', 'solo', '-n', ns, 'owner=team-a'])).toMatch(
        // kubectl 1.27 itself prints "annotate" (its own message, not the server's).
        /^pod\/solo annotated?$/,
      );
      expect(await k.ok(['get', 'pods', '-n', ns, '-l', 'tier in (front,back)', '-o', 'name'])).toBe(
        'pod/solo',
      );
      expect(await k.ok(['get', 'pods', '-n', ns, '-l', 'tier!=front', '-o', 'name'])).toBe('');
      expect(
        await k.ok(['get', 'pod', 'solo', '-n', ns, '-o', 'jsonpath={.metadata.annotations.owner}']),
      ).toBe('team-a');
    });

    it('patch with strategic, merge and JSON patches, and scale through the scale subresource', async () => {
      expect(
        await k.ok([
          'patch',
          'deploy',
          'web',
          '-n',
          ns,
          '-p',
          '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}',
        ]),
      ).toMatch(/deployment.apps\/web patched/);
      expect(
        await k.ok([
          'patch',
          'deploy',
          'web',
          '-n',
          ns,
          '--type=merge',
          '-p',
          '{"metadata":{"labels":{"stage":"canary"}}}',
        ]),
      ).toMatch(/patched/);
      expect(
        await k.ok([
          'patch',
          'deploy',
          'web',
          '-n',
          ns,
          '--type=json',
          '-p',
          '[{"op":"replace","path":"/spec/replicas","value":2}]',
        ]),
      ).toMatch(/patched/);
      expect(await k.ok(['scale', 'deploy', 'web', '-n', ns, '--replicas=3'])).toMatch(
        /deployment.apps\/web scaled/,
      );
      const out = await k.ok([
        'get',
        'deploy',
        'web',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].name} {.metadata.labels.stage}',
      ]);
      expect(out).toBe('3 nginx:1.28 MODE canary');
    });

    it('get --watch receives events as they happen', async () => {
      const watcher = k.spawn(['get', 'configmaps', '-n', ns, '--watch', '--output-watch-events']);
      let seen = '';
      watcher.stdout?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      try {
        await waitFor(
          'the initial list',
          () => /^EVENT\s+NAME\s+DATA\s+AGE$/m.test(seen) && /ADDED\s+settings\s+1\s/.test(seen),
          10_000,
          () => seen,
        );
        await k.ok(
          ['create', '-n', ns, '-f', '-'],
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'late' },
            data: { a: 'b' },
          }),
        );
        await waitFor('the ADDED event', () => /ADDED\s+late\s+1\s/.test(seen));
        await k.ok(['delete', 'configmap', 'late', '-n', ns]);
        await waitFor('the DELETED event', () => /DELETED\s+late\s/.test(seen));
      } finally {
        watcher.kill();
        await watcher;
      }
    });

    it('wait --for=condition returns once the condition holds', async () => {
      expect(await k.ok(['wait', '--for=condition=Ready', 'node/scars-worker', '--timeout=10s'])).toMatch(
        /node\/scars-worker condition met/,
      );
      await k.ok(['create', '-n', ns, '-f', '-'], JSON.stringify(podManifest('later')));
      const waiting = k.run(['wait', '-n', ns, '--for=condition=Ready', 'pod/later', '--timeout=20s']);
      await new Promise((r) => setTimeout(r, 500));
      await api.runPod(ns, 'later', 'scars-worker2');
      const r = await waiting;
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/pod\/later condition met/);
    });

    it('cordon and uncordon a node', async () => {
      const node = ['scars-worker', 'scars-worker2', 'scars-control-plane'][
        VERSIONS.indexOf(wanted) % 3
      ] as string;
      expect(await k.ok(['cordon', node])).toMatch(new RegExp(`node/${node} cordoned`));
      expect(await k.ok(['get', 'node', node, '-o', 'jsonpath={.spec.unschedulable}'])).toBe('true');
      expect(await k.ok(['get', 'node', node])).toMatch(/Ready,SchedulingDisabled/);
      expect(await k.ok(['uncordon', node])).toMatch(new RegExp(`node/${node} uncordoned`));
      expect(await k.ok(['get', 'node', node, '-o', 'jsonpath={.spec.unschedulable}'])).toBe('');
    });

    it('get events --field-selector reason=X', async () => {
      for (const [name, reason] of [
        [`${ns}-a`, 'Killing'],
        [`${ns}-b`, 'Scheduled'],
      ] as const) {
        await api.createEvent(ns, {
          metadata: { name },
          involvedObject: { kind: 'Pod', namespace: ns, name: 'solo', apiVersion: 'v1' },
          reason,
          message: `${reason} the pod`,
          type: 'Normal',
          source: { component: 'kubelet', host: 'scars-worker' },
          firstTimestamp: new Date(),
          lastTimestamp: new Date(),
          count: 1,
        });
      }
      const out = await k.ok(['get', 'events', '-n', ns, '--field-selector', 'reason=Killing']);
      expect(out).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
      expect(out).toMatch(/Normal\s+Killing\s+pod\/solo\s+Killing the pod/);
      expect(out).not.toMatch(/Scheduled/);
      const bad = await k.run(['get', 'events', '-n', ns, '--field-selector', 'colour=red']);
      expect(bad.exitCode).not.toBe(0);
      expect(bad.stderr).toMatch(/field label not supported: colour/);
    });

    it('typed create commands (protobuf bodies from kubectl 1.32+)', async () => {
      const creates: [string[], string][] = [
        [['configmap', 'typed-cm', '--from-literal=a=b'], 'configmap/typed-cm created'],
        [['secret', 'generic', 'typed-secret', '--from-literal=p=q'], 'secret/typed-secret created'],
        [
          ['deployment', 'typed-deploy', '--image=nginx:1.27', '--replicas=2', '--port=80'],
          'deployment.apps/typed-deploy created',
        ],
        [['service', 'clusterip', 'typed-svc', '--tcp=80:8080'], 'service/typed-svc created'],
        [
          ['poddisruptionbudget', 'typed-pdb', '--selector=app=typed', '--min-available=1'],
          'poddisruptionbudget.policy/typed-pdb created',
        ],
        [['job', 'typed-job', '--image=busybox'], 'job.batch/typed-job created'],
        [
          ['cronjob', 'typed-cron', '--image=busybox', '--schedule=*/5 * * * *'],
          'cronjob.batch/typed-cron created',
        ],
        [['serviceaccount', 'typed-sa'], 'serviceaccount/typed-sa created'],
      ];
      for (const [args, printed] of creates) expect(await k.ok(['create', ...args, '-n', ns])).toBe(printed);
      const secret = JSON.parse(await k.ok(['get', 'secret', 'typed-secret', '-n', ns, '-o', 'json'])) as {
        data: { p: string };
        type: string;
      };
      expect(secret).toMatchObject({ data: { p: Buffer.from('q').toString('base64') }, type: 'Opaque' });
      expect(
        await k.ok([
          'get',
          'deploy',
          'typed-deploy',
          '-n',
          ns,
          '-o',
          'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}',
        ]),
      ).toBe('2 nginx:1.27 80');
      // 1.32 writes autoscaling/v1, 1.33 autoscaling/v2: both are views of one stored object.
      expect(
        await k.ok(['autoscale', 'deployment', 'typed-deploy', '--max=3', '--cpu-percent=60', '-n', ns]),
      ).toBe('horizontalpodautoscaler.autoscaling/typed-deploy autoscaled');
      expect(await k.ok(['get', 'hpa', '-n', ns])).toMatch(
        /typed-deploy\s+Deployment\/typed-deploy\s+cpu: <unknown>\/60%\s+1\s+3\s+0\s/,
      );
      expect(await k.ok(['get', 'pdb', '-n', ns])).toMatch(
        /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\ntyped-pdb\s+1\s+N\/A\s+0\s+/,
      );
    });

    it('drain evicts through the eviction API, retries on 429 while the budget allows nothing, then finishes', async () => {
      const node = `scars-worker${3 + (VERSIONS.indexOf(wanted) % 3)}`;
      await k.ok(
        ['create', '-n', ns, '-f', '-'],
        JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: { name: 'drainable' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'drainable' } },
            template: {
              metadata: { labels: { app: 'drainable' } },
              spec: { containers: [{ name: 'main', image: 'nginx' }] },
            },
          },
        }),
      );
      const rs = await api.apps.readNamespacedReplicaSet({ namespace: ns, name: 'drainable' });
      for (const name of ['drainable-a', 'drainable-b']) {
        await api.core.createNamespacedPod({
          namespace: ns,
          body: {
            ...podManifest(name, { app: 'drainable' }),
            metadata: {
              name,
              labels: { app: 'drainable' },
              ownerReferences: [
                {
                  apiVersion: 'apps/v1',
                  kind: 'ReplicaSet',
                  name: 'drainable',
                  uid: rs.metadata?.uid ?? '',
                  controller: true,
                  blockOwnerDeletion: true,
                },
              ],
            },
          },
        });
        await api.runPod(ns, name, node);
      }
      await k.ok(
        ['create', '-n', ns, '-f', '-'],
        JSON.stringify({
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: 'drainable' },
          spec: { minAvailable: 2, selector: { matchLabels: { app: 'drainable' } } },
        }),
      );
      // What the disruption controller would report: both pods healthy, `allowed` of them may go.
      const setBudget = (allowed: number) =>
        api.setBudgetStatus(ns, 'drainable', {
          currentHealthy: 2,
          desiredHealthy: 2 - allowed,
          expectedPods: 2,
          disruptionsAllowed: allowed,
        });
      await setBudget(0);
      const drain = k.spawn([
        'drain',
        node,
        '--ignore-daemonsets',
        '--delete-emptydir-data',
        '--timeout=30s',
      ]);
      let out = '';
      drain.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      drain.stderr?.on('data', (c: Buffer) => (out += c.toString()));
      await waitFor(
        'a refused eviction',
        () => out.includes("Cannot evict pod as it would violate the pod's disruption budget."),
        15_000,
        () => out,
      );
      expect(out).toMatch(
        /error when evicting pods\/"drainable-[ab]" -n "k\d+" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./,
      );
      const standing = await api.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=drainable' });
      expect(standing.items.filter((p) => !p.metadata?.deletionTimestamp)).toHaveLength(2);
      await setBudget(2);
      const r = await drain;
      expect(r.exitCode, out).toBe(0);
      expect(out).toMatch(new RegExp(`node/${node} drained`));
      expect(await notFound(api.core.readNamespacedPod({ namespace: ns, name: 'drainable-a' }))).toBe(true);
      expect(await k.ok(['uncordon', node])).toMatch(/uncordoned/);
    }, 60_000);

    it('delete waits until the object is gone; unknown kinds are a clean error', async () => {
      expect(await k.ok(['delete', 'pod', 'solo', '-n', ns])).toMatch(/pod "solo" deleted/);
      const gone = await k.run(['get', 'pod', 'solo', '-n', ns]);
      expect(gone.exitCode).toBe(1);
      expect(gone.stderr).toMatch(/Error from server \(NotFound\): pods "solo" not found/);
      const unknown = await k.run(['get', 'widgets']);
      expect(unknown.stderr).toMatch(/the server doesn't have a resource type "widgets"/);
    });
  });
}

// Container output is written by the kubelet model, which has no API: these run on an in-process sim.
describe('kubectl logs (in-process sim)', () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startTestSim({ nodes: 2, apiOnly: true });
  });
  afterAll(async () => {
    await t?.sim.stop();
  });
  for (const { wanted, bin } of binaries) {
    describe.skipIf(!bin)(
      bin ? `kubectl ${bin.version}` : `kubectl ${wanted} (not found on this machine)`,
      () => {
        const ns = `logs-${(bin?.version ?? wanted).replace('.', '')}`;
        let k: ReturnType<typeof kubectlRunner>;
        beforeAll(async () => {
          if (!bin) return;
          k = kubectlRunner(bin, t.kubeconfigPath);
          await k.ok(['create', 'namespace', ns]);
        });

        it('logs, with --tail and --follow', async () => {
          await k.ok(['create', '-n', ns, '-f', '-'], JSON.stringify(podManifest('solo')));
          const pod = runPod(t.sim, ns, 'solo', 'scars-worker');
          const uid = pod.metadata.uid ?? '';
          t.sim.logs.append(uid, 'main', 'starting\nlistening on :8080', t.sim.clock.now());
          expect(await k.ok(['logs', 'solo', '-n', ns])).toBe('starting\nlistening on :8080');
          expect(await k.ok(['logs', 'solo', '-n', ns, '--tail=1'])).toBe('listening on :8080');
          const follow = k.spawn(['logs', '-f', 'solo', '-n', ns]);
          let seen = '';
          follow.stdout?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
          await waitFor('the existing lines', () => seen.includes('listening'));
          t.sim.logs.append(uid, 'main', 'GET / 200', t.sim.clock.now());
          await waitFor('the followed line', () => seen.includes('GET / 200'));
          t.sim.logs.end(uid, 'main');
          const r = await follow;
          expect(r.exitCode).toBe(0);
        });
      },
    );
  }
});
