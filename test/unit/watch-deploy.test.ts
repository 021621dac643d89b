/**
 * What ships under deploy/ for `stowage watch`, checked by the tools that consume it (promtool) and, for the
 * Kubernetes manifest, against Kubernetes' own OpenAPI schemas (the `kubernetes-models` package).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { main } from '../../src/cli/main.js';

const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const promtool = (...args: string[]) => spawnSync('/usr/bin/promtool', args, { cwd: `${DEPLOY}prometheus`, encoding: 'utf8' });

describe('deploy/prometheus', () => {
  it('promtool check rules passes the alert rules', () => {
    const r = promtool('check', 'rules', 'stowage-alerts.yml');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 8 rules found/);
  });

  it('promtool test rules passes the rules\' unit tests (firing and quiet cases for each alert)', () => {
    const r = promtool('test', 'rules', 'stowage-alerts.test.yml');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });
});

/** The manifest as Python's YAML reader sees it (PyYAML, not stowage's code). */
function yamlDocuments(path: string): Record<string, any>[] {
  const r = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, any>[];
}

describe('deploy/kubernetes', () => {
  it('every document passes Kubernetes\' schema for its kind, and the schema check rejects a broken DaemonSet', () => {
    const docs = yamlDocuments(`${DEPLOY}kubernetes/stowage-watch-daemonset.yaml`);
    assert.deepEqual(docs.map((d) => `${d.apiVersion} ${d.kind}`), ['v1 Namespace', 'apps/v1 DaemonSet']);
    new Namespace(docs[0] as ConstructorParameters<typeof Namespace>[0]).validate();
    new DaemonSet(docs[1] as ConstructorParameters<typeof DaemonSet>[0]).validate();
    const broken = structuredClone(docs[1]!);
    broken.spec.template.spec.containers[0].ports[0].containerPort = '9323';
    assert.throws(() => new DaemonSet(broken as ConstructorParameters<typeof DaemonSet>[0]).validate(), /containerPort must be integer/);
  });

  it('the DaemonSet reads the host as watch needs it, and passes only flags watch has', async () => {
    const docs = yamlDocuments(`${DEPLOY}kubernetes/stowage-watch-daemonset.yaml`);
    const ds = docs.find((d) => d.kind === 'DaemonSet')!;
    assert.equal(ds.apiVersion, 'apps/v1');
    const spec = ds.spec.template.spec;
    assert.deepEqual(ds.spec.selector.matchLabels, ds.spec.template.metadata.labels, 'the selector matches the pods');
    assert.equal(spec.hostPID, true, 'the D-state scan sees the node\'s tasks');
    const c = spec.containers[0];
    const mounts = new Map<string, { mountPath: string; readOnly?: boolean }>(c.volumeMounts.map((m: { name: string }) => [m.name, m]));
    const volumes = new Map<string, { hostPath: { path: string } }>(spec.volumes.map((v: { name: string }) => [v.name, v]));
    for (const [name, m] of mounts) assert.equal(volumes.get(name)?.hostPath.path, m.mountPath, `${name} is mounted at the host's own path`);
    assert.equal(mounts.get('sys')?.readOnly, true);
    assert.equal(mounts.get('data-root')?.readOnly, true);
    assert.ok(mounts.has('docker-sock'));
    assert.equal(c.ports[0].containerPort, 9323);
    assert.equal(ds.spec.template.metadata.annotations['prometheus.io/port'], '9323');
    let help = '';
    const io = { stdout: { write: (s: string) => { help += s; } }, stderr: { write: () => undefined }, env: {} };
    assert.equal(await main(['watch', '--help'], io), 0);
    assert.equal(await main(['--help'], io), 0, 'global flags (--quiet) are in the top-level help');
    const flags = (c.args as string[]).filter((a) => a.startsWith('--'));
    assert.ok(flags.length >= 3);
    for (const f of flags) assert.ok(help.includes(`${f} `) || help.includes(`${f},`), `${f} is a flag of stowage watch or a global one`);
    assert.equal(c.args[0], 'watch');
  });
});

describe('deploy/grafana', () => {
  it('the dashboard is Grafana JSON whose every panel queries stowage\'s metrics through the chosen data source', () => {
    const dash = JSON.parse(readFileSync(`${DEPLOY}grafana/stowage-watch-dashboard.json`, 'utf8')) as {
      uid: string; schemaVersion: number; templating: { list: { name: string }[] };
      panels: { id: number; type: string; gridPos: object; targets: { expr: string; datasource: { uid: string } }[] }[];
    };
    assert.equal(dash.uid, 'stowage-watch');
    assert.ok(dash.schemaVersion >= 36);
    assert.deepEqual(dash.templating.list.map((v) => v.name), ['datasource', 'instance']);
    assert.equal(new Set(dash.panels.map((p) => p.id)).size, dash.panels.length, 'panel ids are unique');
    for (const p of dash.panels) {
      assert.ok(p.gridPos && p.targets.length > 0, `panel ${p.id}`);
      for (const t of p.targets) {
        assert.equal(t.datasource.uid, '${datasource}');
        assert.match(t.expr, /stowage_[a-z_]+\{instance=~"\$instance"\}/);
      }
    }
  });
});
