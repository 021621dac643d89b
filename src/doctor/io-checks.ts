/** I/O health now: the sync-write probe, iowait, stuck tasks and device saturation. */
import type { Evidence } from '../findings.js';
import type { IoRates } from '../measure/io-rates.js';
import { describeVirtualisation, type Virtualisation } from '../host/virtualisation.js';
import type { DoctorFacts, IoFacts } from './facts.js';
import { percentile } from '../stats.js';
import { count, formatBytes } from '../units.js';
import { DOCTOR_FINDINGS, type DoctorFinding, type DoctorFindingId } from './finding-ids.js';

/** Ten 1 MiB O_DSYNC writes taking longer than this is the `dd ... oflag=sync` hang of the gp2 incident. */
export const SYNC_WRITE_ERROR_MS = 5000;
export const SYNC_WRITE_SLOW_P99_MS = 500;
export const IOWAIT_WARN_PERCENT = 20;

export function ioChecks(facts: DoctorFacts): DoctorFinding[] {
  const io = facts.io;
  if (!io) return [];
  const device = facts.disk?.disks.map((d) => d.name).join(', ') || facts.disk?.device?.name || 'unknown';
  return [...syncWriteFindings(io, facts.dataRoot, device), ...hostStateFindings(io, device)]
    .map((f) => (SLOW_IO_IDS.has(f.id) ? withVmContext(f, facts.virtualisation) : f));
}

const SLOW_IO_IDS = new Set<DoctorFindingId>([DOCTOR_FINDINGS.ioSlowSyncWrite.id, DOCTOR_FINDINGS.ioHighIowait.id, DOCTOR_FINDINGS.ioDeviceSaturated.id]);

/** Slow I/O in a VM may come from below it: say so beside the evidence (real case 3, nested virtualisation). */
function withVmContext(f: DoctorFinding, v: Virtualisation | undefined): DoctorFinding {
  if (!v?.virtual) return f;
  return {
    ...f,
    evidence: [...f.evidence, { label: 'host', value: describeVirtualisation(v) }],
    fix: {
      ...f.fix,
      summary: `${f.fix?.summary ?? ''} This host is a virtual machine: run the same probe on the machine under it to see which layer is slow; emulated disks, host-side caching and nested virtualisation all add latency (prefer a virtio or paravirtual disk of its own for data-root).`.trim(),
    },
  };
}

function rateEvidence(io: IoFacts): Evidence[] {
  return io.rates.flatMap((r) => [
    { label: `${r.device} write IOPS`, value: Math.round(r.writeIops), unit: 'IOPS' },
    { label: `${r.device} write await`, value: r.writeAwaitMs, unit: 'ms' },
    { label: `${r.device} utilisation`, value: r.utilPercent, unit: '%' },
  ]);
}

function syncWriteFindings(io: IoFacts, dataRoot: string, device: string): DoctorFinding[] {
  const subject = { kind: 'filesystem' as const, id: dataRoot };
  if (io.syncWriteError) {
    return [{
      id: DOCTOR_FINDINGS.ioProbeFailed.id, severity: 'warn',
      title: `Could not run the sync-write probe in ${dataRoot}: ${io.syncWriteError}`,
      evidence: [{ label: 'directory', value: dataRoot }],
      fix: { summary: 'Run doctor as root (the probe writes a 10.5 MB file in data-root and removes it), or pass --skip io.' },
      subject,
    }];
  }
  const probe = io.syncWrite;
  if (!probe) return [];
  // with no write finished, the one in flight has taken the whole probe so far
  const p50 = probe.latenciesMs.length ? percentile(probe.latenciesMs, 50) : probe.totalMs;
  const p99 = probe.latenciesMs.length ? percentile(probe.latenciesMs, 99) : probe.totalMs;
  const evidence: Evidence[] = [
    { label: 'writes completed', value: `${probe.latenciesMs.length} of ${probe.writes} x ${formatBytes(probe.blockBytes)} O_DSYNC` },
    { label: 'total', value: probe.totalMs, unit: 'ms' },
    { label: 'p50 write', value: p50, unit: 'ms' },
    { label: 'p99 write', value: p99, unit: 'ms' },
    { label: 'throughput', value: (probe.latenciesMs.length * probe.blockBytes) / Math.max(probe.totalMs / 1000, 1e-6), unit: 'bytes/s' },
    ...rateEvidence(io),
  ];
  const fix = {
    summary: `Find what throttles ${device}: a cloud volume out of burst credits, a cgroup blkio limit, or a saturated disk. \`stowage bench disk\` measures it in depth.`,
    commands: ['cat /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device', `dd if=/dev/zero of=${dataRoot}/ddtest bs=1M count=10 oflag=sync; rm -f ${dataRoot}/ddtest`],
  };
  if (probe.timedOut || probe.totalMs > SYNC_WRITE_ERROR_MS) {
    return [{
      id: DOCTOR_FINDINGS.ioSlowSyncWrite.id, severity: 'error',
      title: `Sync writes to data-root are very slow: ${formatBytes(probe.writes * probe.blockBytes)} with O_DSYNC ${probe.timedOut ? 'did not finish' : 'took'} ${(probe.totalMs / 1000).toFixed(1)} s`,
      evidence, fix, subject,
    }];
  }
  if (p99 > SYNC_WRITE_SLOW_P99_MS) {
    return [{
      id: DOCTOR_FINDINGS.ioSlowSyncWrite.id, severity: 'warn',
      title: `Some sync writes to data-root are slow: p99 ${p99.toFixed(0)} ms for a ${formatBytes(probe.blockBytes)} O_DSYNC write`,
      evidence, fix, subject,
    }];
  }
  return [];
}

/** A device this busy over the window is one the CPUs may have waited on. */
export const BUSY_UTIL_PERCENT = 20;

function utilEvidence(r: IoRates, owner: string): Evidence[] {
  return [
    { label: `${r.device} utilisation (${owner})`, value: r.utilPercent, unit: '%' },
    { label: `${r.device} IOPS (${owner})`, value: Math.round(r.readIops + r.writeIops), unit: 'IOPS' },
    { label: `${r.device} await (${owner})`, value: Math.max(r.readAwaitMs, r.writeAwaitMs), unit: 'ms' },
  ];
}

const pct = (r: IoRates) => `${r.utilPercent.toFixed(0)}% busy`;

/**
 * iowait is host-wide: it says CPUs idled while some task waited for I/O, not on which device. The devices
 * busy over the same window say where; only when one of them is under data-root is it Docker storage's.
 */
function iowaitFinding(io: IoFacts, iowait: number, device: string): DoctorFinding {
  const chainNames = new Set(io.rates.map((r) => r.device));
  const all = io.devices ?? io.rates;
  const busy = all.filter((r) => r.utilPercent >= BUSY_UTIL_PERCENT);
  const busyChain = busy.filter((r) => chainNames.has(r.device));
  const busyOther = busy.filter((r) => !chainNames.has(r.device));
  const head = `CPUs spent ${iowait.toFixed(0)}% of the last ${(io.windowMs / 1000).toFixed(1)} s waiting for I/O`;
  const evidence: Evidence[] = [
    { label: 'iowait', value: iowait, unit: '%' },
    ...busy.slice(0, 5).flatMap((r) => utilEvidence(r, chainNames.has(r.device) ? 'under data-root' : 'not under data-root')),
    ...io.rates.filter((r) => !busy.includes(r)).flatMap((r) => utilEvidence(r, 'under data-root')),
  ];
  const tools = '`pidstat -d 1`, `iotop -o`';
  if (busyChain.length > 0) {
    const names = busyChain.map((r) => `${r.device} (${pct(r)})`).join(', ');
    const also = busyOther.length ? `; also busy: ${busyOther.map((r) => `${r.device} (${pct(r)})`).join(', ')}` : '';
    return {
      id: DOCTOR_FINDINGS.ioHighIowait.id, severity: 'warn',
      title: `${head}, with data-root's ${names} busy${also}`,
      evidence,
      fix: { summary: `Find the processes doing I/O on ${busyChain.map((r) => r.device).join(', ')} (${tools}) and whether the disk is throttled.` },
      subject: { kind: 'device', id: busyChain[0]!.device },
    };
  }
  if (busyOther.length > 0) {
    const names = busyOther.map((r) => `${r.device} (${pct(r)})`).join(', ');
    return {
      id: DOCTOR_FINDINGS.ioHighIowait.id, severity: 'warn',
      title: `${head}, on ${names}: not on data-root's ${device}, which was idle`,
      evidence,
      fix: { summary: `The waiting is not Docker storage's: find the processes doing I/O on ${busyOther[0]!.device} (${tools}). It slows everything on this host, containers included.` },
      subject: { kind: 'device', id: busyOther[0]!.device },
    };
  }
  return {
    id: DOCTOR_FINDINGS.ioHighIowait.id, severity: 'warn',
    title: `${head}, but no block device was busy: not data-root's ${device}`,
    evidence,
    fix: { summary: `Waits no local disk explains are often on a network or FUSE filesystem (NFS, CIFS, sshfs) or on swap: check \`grep -E 'nfs|cifs|fuse' /proc/mounts\`, \`vmstat 1\` (si/so) and ${tools}.` },
    subject: { kind: 'host', id: 'localhost' },
  };
}

function hostStateFindings(io: IoFacts, device: string): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const subject = { kind: 'host' as const, id: 'localhost' };
  if (io.iowaitPercent !== undefined && io.iowaitPercent >= IOWAIT_WARN_PERCENT) {
    findings.push(iowaitFinding(io, io.iowaitPercent, device));
  }
  if (io.stuckTasks.length > 0) {
    findings.push({
      id: DOCTOR_FINDINGS.ioStuckTasks.id, severity: 'warn',
      title: `${count(io.stuckTasks.length, 'task')} stayed in uninterruptible I/O sleep (D state) through the sample window`,
      evidence: io.stuckTasks.slice(0, 10).map((t) => ({ label: `pid ${t.pid} ${t.comm}`, value: t.wchan ?? 'unknown wchan' })),
      fix: { summary: 'Tasks stuck in D state wait on the disk; with the wchan above, look for a throttled or failing device (`dmesg`, `cat /proc/PID/stack`).' },
      subject,
    });
  }
  for (const r of io.rates) {
    if (r.utilPercent >= 90 && Math.max(r.writeAwaitMs, r.readAwaitMs) >= 50) {
      findings.push({
        id: DOCTOR_FINDINGS.ioDeviceSaturated.id, severity: 'warn',
        title: `${r.device} is saturated: ${r.utilPercent.toFixed(0)}% busy with ${Math.max(r.writeAwaitMs, r.readAwaitMs).toFixed(0)} ms await`,
        evidence: [
          { label: 'read IOPS', value: Math.round(r.readIops), unit: 'IOPS' }, { label: 'write IOPS', value: Math.round(r.writeIops), unit: 'IOPS' },
          { label: 'read await', value: r.readAwaitMs, unit: 'ms' }, { label: 'write await', value: r.writeAwaitMs, unit: 'ms' },
          { label: 'utilisation', value: r.utilPercent, unit: '%' }, { label: 'queue depth', value: r.queueDepth },
        ],
        fix: { summary: 'The device cannot keep up: spread the load, move data-root to a faster disk, or raise a cloud volume\'s provisioned IOPS.' },
        subject: { kind: 'device', id: r.device },
      });
    }
  }
  return findings;
}
