/**
 * `--burst-model auto` on Azure: the disk's SKU from the Instance Metadata Service's storage profile (samples
 * in the service's documented JSON, served by a local HTTP server standing in for 169.254.169.254), the disk
 * placed by its /dev/disk/azure link (a recorded sysfs and /dev tree), Microsoft's credit-based tiers, and
 * watch's prediction on a simulated Azure disk with an injected clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStorageProfile, readAzureStorageProfile, type ImdsAnswer } from '../../src/host/azure-imds.js';
import { identifyAzureDisk, placeAzureDisk } from '../../src/host/azure-disk-sku.js';
import { resolveDevice } from '../../src/host/block-device.js';
import type { HostFs } from '../../src/host/host-fs.js';
import { chooseBurstModel } from '../../src/watch/burst-params.js';
import { CreditTracker } from '../../src/watch/credit-tracker.js';
import { runWatch, type WatchEvent } from '../../src/watch/watch.js';
import { capabilityContext } from '../../src/context.js';
import { TestClock } from '../../src/clock.js';
import { readSample, sysfsSample } from '../support/samples.js';
import { SimulatedVolume } from '../support/simulated-volume.js';

const GIB = 1024 ** 3;
const dataDisks = JSON.parse(readSample('azure-imds/storage-profile-data-disks.json')) as unknown;
const ephemeralOs = JSON.parse(readSample('azure-imds/compute-ephemeral-os.json')) as unknown;
const vm = sysfsSample('azure-scsi-luns');
const answer = (json: unknown): ImdsAnswer => ({ profile: parseStorageProfile(json) });

/** Stands in for IMDS: answers as the service does (400 without `Metadata: true`), or never, or with `body`. */
class FakeImds {
  server!: Server;
  requests: IncomingMessage[] = [];
  mode: 'answer' | 'silent' | 'not-found' = 'answer';
  body: unknown = dataDisks;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      this.requests.push(req);
      if (this.mode === 'silent') return; // holds the request open, as an unroutable address would
      if (this.mode === 'not-found') return void res.writeHead(404).end('not found');
      if (req.headers.metadata !== 'true') return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"Bad request. Required metadata header not specified"}');
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(this.body));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('IMDS storage profile', () => {
  const imds = new FakeImds();
  before(() => imds.start());
  after(() => imds.stop());

  it('reads each disk\'s LUN, size and storageAccountType from the documented JSON, values as strings', () => {
    const p = parseStorageProfile(dataDisks);
    assert.deepEqual(p.osDisk, { lun: undefined, name: 'ci_OsDisk_1', sizeGiB: 30, storageAccountType: 'Premium_LRS', ephemeral: false });
    assert.deepEqual(p.dataDisks.map((d) => [d.lun, d.sizeGiB, d.storageAccountType]), [[0, 128, 'StandardSSD_LRS'], [1, 256, 'Premium_LRS']]);
    const whole = parseStorageProfile(ephemeralOs);
    assert.equal(whole.osDisk?.ephemeral, true, 'diffDiskSettings.option Local is an ephemeral OS disk');
    assert.deepEqual(whole.dataDisks, []);
  });

  it('asks GET /metadata/instance/compute/storageProfile with Metadata: true, and parses the answer', async () => {
    imds.mode = 'answer';
    imds.requests = [];
    const a = await readAzureStorageProfile({ baseUrl: imds.url, timeoutMs: 5000 });
    assert.ok('profile' in a, JSON.stringify(a));
    assert.equal(a.profile.dataDisks[1]?.storageAccountType, 'Premium_LRS');
    assert.equal(imds.requests.length, 1);
    assert.equal(imds.requests[0]!.method, 'GET');
    assert.equal(imds.requests[0]!.url, '/metadata/instance/compute/storageProfile?api-version=2021-02-01');
    assert.equal(imds.requests[0]!.headers.metadata, 'true');
  });

  it('gives up after its timeout, and says why for an HTTP error or nothing listening', async () => {
    imds.mode = 'silent';
    const t0 = performance.now();
    const silent = await readAzureStorageProfile({ baseUrl: imds.url, timeoutMs: 300 });
    const took = performance.now() - t0;
    assert.ok('error' in silent && /no answer from the metadata service at 127\.0\.0\.1:\d+ within 300 ms/.test(silent.error), JSON.stringify(silent));
    assert.ok(took >= 290 && took < 3000, `gave up after ${took} ms`);
    imds.mode = 'not-found';
    const nf = await readAzureStorageProfile({ baseUrl: imds.url, timeoutMs: 5000 });
    assert.ok('error' in nf && /answered HTTP 404/.test(nf.error));
    const closed = new FakeImds();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    const refused = await readAzureStorageProfile({ baseUrl: url, timeoutMs: 5000 });
    assert.ok('error' in refused && /cannot reach the metadata service/.test(refused.error), JSON.stringify(refused));
  });
});

describe('placing and identifying an Azure disk', () => {
  it('places disks by the agent\'s links: the OS disk, the resource disk, data disks by LUN (either layout)', () => {
    assert.deepEqual(placeAzureDisk(vm, 'sda'), { role: 'os', link: '/dev/disk/azure/root' });
    assert.deepEqual(placeAzureDisk(vm, 'sdb'), { role: 'resource', link: '/dev/disk/azure/resource' });
    assert.deepEqual(placeAzureDisk(vm, 'sdc'), { role: 'data', lun: 0, link: '/dev/disk/azure/scsi1/lun0' });
    assert.deepEqual(placeAzureDisk(vm, 'sdd'), { role: 'data', lun: 1, link: '/dev/disk/azure/scsi1/lun1' });
    assert.equal(placeAzureDisk(vm, 'sdc1'), undefined, 'a partition link (lun0-part1) is not a disk');
    // azure-vm-utils' layout (NVMe and SCSI): /dev/disk/azure/os and data/by-lun/N
    const utils: HostFs = {
      readText: () => undefined,
      readLink: (p) => ({ '/dev/disk/azure/os': '../../nvme0n1', '/dev/disk/azure/data/by-lun/3': '../../../../nvme0n5' } as Record<string, string>)[p],
      listDir: (p) => (p === '/dev/disk/azure/data/by-lun' ? ['3'] : []),
    };
    assert.deepEqual(placeAzureDisk(utils, 'nvme0n1'), { role: 'os', link: '/dev/disk/azure/os' });
    assert.deepEqual(placeAzureDisk(utils, 'nvme0n5'), { role: 'data', lun: 3, link: '/dev/disk/azure/data/by-lun/3' });
  });

  it('names the SKU of the data-root\'s disk by its LUN: known', () => {
    // the data-root on sdc1 resolves to the disk sdc, at LUN 0
    const node = resolveDevice({ fs: vm, mounts: [] }, '8:33');
    const disk = node?.parents[0]?.disk;
    assert.equal(disk?.name, 'sdc');
    assert.equal(disk?.vendor, 'Msft');
    const id = identifyAzureDisk(vm, disk!.name, disk!.sizeBytes, answer(dataDisks));
    assert.equal(id.sku, 'standard-ssd');
    assert.equal(id.confidence, 'known');
    assert.match(id.note, /^sdc is the data disk at LUN 0 \(\/dev\/disk\/azure\/scsi1\/lun0\): StandardSSD_LRS/);
    assert.equal(identifyAzureDisk(vm, 'sdd', 256 * GIB, answer(dataDisks)).sku, 'premium-ssd');
    assert.equal(identifyAzureDisk(vm, 'sda', 30 * GIB, answer(dataDisks)).sku, 'premium-ssd');
    assert.equal(identifyAzureDisk(vm, 'sdb', 32 * GIB, answer(dataDisks)).sku, 'resource-disk');
  });

  it('without a link, matches a unique size (inferred); with IMDS unreachable, assumes Premium SSD and says so', () => {
    const bare: HostFs = { readText: () => undefined, readLink: () => undefined, listDir: () => [] };
    const inferred = identifyAzureDisk(bare, 'sdx', 256 * GIB, answer(dataDisks));
    assert.deepEqual([inferred.sku, inferred.confidence], ['premium-ssd', 'inferred']);
    assert.match(inferred.note, /has the size of ci-data \(256 GiB\), the only one that size/);
    const none = identifyAzureDisk(bare, 'sdx', 77 * GIB, answer(dataDisks));
    assert.deepEqual([none.sku, none.confidence], ['premium-ssd', 'assumed'], 'two SKUs and no size match: an assumption');
    const down = identifyAzureDisk(vm, 'sdc', 128 * GIB, { error: 'no answer from the metadata service at 169.254.169.254 within 1500 ms' });
    assert.deepEqual([down.sku, down.confidence], ['premium-ssd', 'assumed']);
    assert.match(down.note, /sdc is the data disk at LUN 0 .* but its SKU is unknown: no answer .*; assumed Premium SSD \(give --burst-model azure-standard for a Standard SSD/);
  });
});

describe('chooseBurstModel auto on Azure (Microsoft\'s credit-based tiers)', () => {
  const msft = (name: string, gib: number) => ({ name, sizeBytes: gib * GIB, rotational: true, scheduler: 'none', model: 'Virtual Disk', vendor: 'Msft', serial: undefined });
  const choose = (name: string, gib: number, json: unknown) => chooseBurstModel({ model: 'auto' }, msft(name, gib), identifyAzureDisk(vm, name, gib * GIB, answer(json)));

  it('models a Premium SSD P15 and a Standard SSD E10 by SKU and size, with throughput and confidence', () => {
    const p15 = choose('sdd', 256, dataDisks);
    assert.ok('model' in p15, JSON.stringify(p15));
    assert.deepEqual([p15.model.name, p15.model.baselineIops, p15.model.burstIops, p15.model.baselineMBps, p15.model.burstMBps, p15.model.fullBurstSeconds],
      ['azure-premium', 1100, 3500, 125, 170, 1800]);
    assert.equal(p15.model.bucketCredits, (3500 - 1100) * 1800);
    assert.equal(p15.basisConfidence, 'known');
    assert.match(p15.basis, /sdd modelled as Azure Premium SSD P15 \(256 GiB\): sdd is the data disk at LUN 1 .* \[known\]/);
    const e10 = choose('sdc', 128, dataDisks);
    assert.ok('model' in e10);
    assert.deepEqual([e10.model.name, e10.model.baselineIops, e10.model.burstIops, e10.model.baselineMBps, e10.model.burstMBps, e10.model.bucketCredits],
      ['azure-standard', 500, 600, 60, 150, 100 * 1800]);
    // the OS disk of 30 GiB is billed as P4 (32 GiB): 120 IOPS, 25 MB/s
    const p4 = choose('sda', 30, dataDisks);
    assert.ok('model' in p4 && p4.model.baselineIops === 120 && p4.model.baselineMBps === 25);
  });

  it('E30 bursts to 1,000 IOPS; a 1 TiB premium disk, Standard HDD, the resource disk and an ephemeral OS disk do not burst on credits', () => {
    const e30 = chooseBurstModel({ model: 'azure-standard', sizeBytes: 1024 * GIB }, undefined);
    assert.ok('model' in e30 && e30.model.burstIops === 1000 && e30.model.burstMBps === 250);
    const big = chooseBurstModel({ model: 'auto' }, msft('sdd', 1024), identifyAzureDisk(vm, 'sdd', 1024 * GIB, answer(dataDisks)));
    assert.ok('none' in big && /Premium SSD over 512 GiB: no credit-based bursting/.test(big.none), JSON.stringify(big));
    const hdd = { ...(dataDisks as object), osDisk: { diskSizeGB: '30', managedDisk: { storageAccountType: 'Standard_LRS' } } };
    const os = choose('sda', 30, hdd);
    assert.ok('none' in os && /Standard HDD does not burst/.test(os.none));
    const res = choose('sdb', 32, dataDisks);
    assert.ok('none' in res && /local storage \(its resource disk\)/.test(res.none));
    const eph = choose('sda', 30, ephemeralOs);
    assert.ok('none' in eph && /an ephemeral OS disk/.test(eph.none), JSON.stringify(eph));
  });

  it('a full P10 bucket lasts 30 minutes at 3,500 IOPS and refills at the baseline (injected samples)', () => {
    const p10 = chooseBurstModel({ model: 'azure-premium', sizeBytes: 128 * GIB }, undefined);
    assert.ok('model' in p10);
    const t = new CreditTracker(p10.model, p10.basis, { credits: p10.model.bucketCredits });
    assert.equal(t.state(3500).secondsToExhaustion, 1800);
    for (let s = 0; s < 1800; s++) t.observe(1, 3500);
    assert.equal(t.state(3500).creditsLeft, 0);
    for (let s = 0; s < 600; s++) t.observe(1, 0);
    assert.equal(t.state(0).creditsLeft, 600 * 500, 'idle refills by the 500 IOPS baseline each second');
  });
});

describe('runWatch on a simulated Azure Standard SSD E10 (injected clock, local IMDS)', () => {
  const imds = new FakeImds();
  before(() => imds.start());
  after(() => imds.stop());

  it('looks the SKU up, models E10, and predicts exhaustion while the disk still bursts', async () => {
    imds.mode = 'answer';
    imds.body = dataDisks;
    const clock = new TestClock({ autoAdvance: true });
    const sim = new SimulatedVolume({ name: 'sdc', sizeBytes: 128 * GIB, baselineIops: 500, burstIops: 600, bucketCredits: 180_000, startCredits: 180_000,
      model: 'Virtual Disk', now: () => clock.monotonic(), demand: () => 600 });
    const simFs = sim.hostFs();
    // the simulated disk as Azure shows it: vendor Msft, and the agent's link at LUN 0
    const fs: HostFs = {
      readText: (p) => (p === '/sys/class/block/sdc/device/vendor' ? 'Msft    \n' : simFs.readText(p)),
      readLink: (p) => (p === '/dev/disk/azure/scsi1/lun0' ? '../../../sdc' : undefined),
      listDir: (p) => (p === '/dev/disk/azure/scsi1' ? ['lun0'] : []),
    };
    const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-azure-'));
    const events: { t: number; e: WatchEvent }[] = [];
    try {
      await runWatch({ dataRoot: dir, device: 'sdc', readings: 60, hostFs: fs, azureImdsUrl: imds.url, onEvent: (e) => events.push({ t: clock.monotonic() / 1000, e }) },
        capabilityContext({ clock }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const start = events[0]!.e;
    assert.ok(start.type === 'start' && start.target.burst, JSON.stringify(start));
    assert.deepEqual([start.target.burst.model, start.target.burst.tier, start.target.burst.baselineIops, start.target.burst.burstIops, start.target.burst.basisConfidence],
      ['azure-standard', 'E10', 500, 600, 'known']);
    // 180,000 credits drain at 100 a second: 30 minutes, inside the 30-minute horizon at once
    const predicted = events.find((x) => x.e.type === 'finding' && x.e.state === 'raised' && x.e.finding.id === 'watch/exhaustion-predicted');
    assert.ok(predicted && predicted.t <= 5, `raised at ${predicted?.t}`);
    assert.equal(sim.delivered, 600, 'still bursting when it was raised');
  });
});
