/**
 * watch's state as Prometheus metric families, node_exporter-style names under `stowage_`: fed with watch's
 * events, rendered on each scrape or textfile write. Holds only the latest reading, a counter per finding
 * id and the canary histogram's fixed buckets: its size does not grow with time.
 */
import type { MetricFamily, MetricSample } from '../render/prometheus-text.js';
import { STOWAGE_VERSION } from '../version.js';
import { WATCH_FINDINGS } from './finding-ids.js';
import type { WatchEvent, WatchReading, WatchTarget } from './watch.js';

/** Container start seconds: from a warm 0.1 s start to the 82 s one of real case 1. */
export const START_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class WatchMetrics {
  private target: WatchTarget | undefined;
  private reading: WatchReading | undefined;
  private readings = 0;
  private readonly raised = new Map<string, number>();
  private readonly active = new Map<string, string>();
  private readonly startCounts = START_BUCKETS.map(() => 0);
  private starts = 0;
  private startSum = 0;
  private canaryFailures = 0;
  private canaryImage: string | undefined;

  update(event: WatchEvent): void {
    switch (event.type) {
      case 'start':
        this.target = event.target;
        break;
      case 'reading':
        this.reading = event.reading;
        this.readings++;
        break;
      case 'finding':
        if (event.state === 'raised') {
          this.active.set(event.finding.id, event.finding.severity);
          this.raised.set(event.finding.id, (this.raised.get(event.finding.id) ?? 0) + 1);
        } else this.active.delete(event.finding.id);
        break;
      case 'canary':
        this.canaryImage = event.image;
        if (event.error) {
          this.canaryFailures++;
          break;
        }
        this.starts++;
        this.startSum += event.durationMs / 1000;
        START_BUCKETS.forEach((le, i) => { if (event.durationMs / 1000 <= le) this.startCounts[i]!++; });
        break;
    }
  }

  families(): MetricFamily[] {
    const t = this.target;
    const r = this.reading;
    const out: MetricFamily[] = [];
    const gauge = (name: string, help: string, samples: MetricSample[]) => out.push({ name, help, type: 'gauge', samples });
    const counter = (name: string, help: string, samples: MetricSample[]) => out.push({ name, help, type: 'counter', samples });
    gauge('stowage_build_info', 'stowage version and what watch watches; always 1', [{
      labels: { version: STOWAGE_VERSION, data_root: t?.dataRoot ?? '', device: t?.device ?? '', burst_model: t?.burst?.model ?? 'none' }, value: 1,
    }]);
    counter('stowage_watch_readings_total', 'Readings of the data-root device taken since watch started', [{ value: this.readings }]);
    if (r) {
      const s = r.sample;
      const dev = { device: s.device ?? '' };
      gauge('stowage_watch_last_reading_timestamp_seconds', 'When the latest reading was taken, Unix time', [{ value: Date.parse(r.at) / 1000 }]);
      if (s.device !== null) {
        gauge('stowage_disk_iops', 'Completed I/O operations per second over the last interval', [
          { labels: { ...dev, op: 'read' }, value: s.readIops }, { labels: { ...dev, op: 'write' }, value: s.writeIops }]);
        gauge('stowage_disk_throughput_bytes', 'Bytes per second transferred over the last interval', [
          { labels: { ...dev, op: 'read' }, value: s.readBytesPerSec }, { labels: { ...dev, op: 'write' }, value: s.writeBytesPerSec }]);
        gauge('stowage_disk_await_seconds', 'Mean time an I/O spent queued and serviced over the last interval (iostat r_await/w_await)', [
          { labels: { ...dev, op: 'read' }, value: s.readAwaitMs / 1000 }, { labels: { ...dev, op: 'write' }, value: s.writeAwaitMs / 1000 }]);
        gauge('stowage_disk_utilisation_ratio', 'Share of the last interval the device had I/O in flight (iostat %util / 100)', [{ labels: dev, value: s.utilPercent / 100 }]);
        gauge('stowage_disk_queue_depth', 'Average number of I/Os in flight over the last interval (iostat aqu-sz)', [{ labels: dev, value: s.queueDepth }]);
      }
      gauge('stowage_cpu_iowait_ratio', 'Share of CPU time spent waiting for I/O over the last interval', [{ value: s.iowaitPercent / 100 }]);
      if (s.ioPressurePercent !== null) gauge('stowage_io_pressure_ratio', 'Share of the last interval some task stalled on I/O (PSI some)', [{ value: s.ioPressurePercent / 100 }]);
      gauge('stowage_tasks_blocked', 'Tasks in uninterruptible sleep (D state) at the latest reading', [{ value: s.blockedTasks }]);
      if (r.space) {
        const fsLabels = { mountpoint: t?.mountPoint ?? r.space.path, data_root: r.space.path };
        gauge('stowage_filesystem_avail_bytes', "Bytes available to unprivileged users on the data-root's filesystem", [{ labels: fsLabels, value: r.space.availableBytes }]);
        gauge('stowage_filesystem_size_bytes', "Size of the data-root's filesystem", [{ labels: fsLabels, value: r.space.totalBytes }]);
      }
      const c = r.credits;
      if (c && t?.burstDevice) {
        const b = { device: t.burstDevice, model: c.model };
        gauge('stowage_burst_credits_remaining', 'Estimated I/O credits left in the burst bucket (the upper bound while the start level is unknown)', [{ labels: b, value: c.creditsLeft }]);
        gauge('stowage_burst_credits_lower_bound', 'Fewest I/O credits the bucket can hold given what watch has seen', [{ labels: b, value: c.creditsLowerBound }]);
        gauge('stowage_burst_balance_ratio', 'Credits left over the bucket size (CloudWatch BurstBalance / 100)', [{ labels: b, value: c.balanceRatio }]);
        gauge('stowage_burst_confidence_ratio', 'How well the bucket level is known: 1 - (upper - lower bound) / bucket', [{ labels: b, value: c.confidenceRatio }]);
        gauge('stowage_burst_exhaustion_seconds', 'Seconds until the credits run out at the current IOPS; +Inf when not draining', [{ labels: b, value: c.secondsToExhaustion ?? Infinity }]);
        gauge('stowage_burst_rate_iops', 'IOPS the prediction runs at (mean over the rate window)', [{ labels: b, value: c.rateIops }]);
        gauge('stowage_burst_baseline_iops', "The model's baseline IOPS", [{ labels: b, value: c.baselineIops }]);
        gauge('stowage_burst_peak_iops', "The model's burst IOPS", [{ labels: b, value: c.burstIops }]);
        gauge('stowage_burst_bucket_credits', "The model's bucket size in I/O credits", [{ labels: b, value: c.bucketCredits }]);
      }
    }
    const ids = Object.values(WATCH_FINDINGS).map((f) => f.id);
    gauge('stowage_finding_active', 'Whether a watch finding is active (1) or not (0), by id and severity', ids.flatMap((id) =>
      Object.values(WATCH_FINDINGS).find((f) => f.id === id)!.severities.map((severity) => ({ labels: { id, severity }, value: this.active.get(id) === severity ? 1 : 0 }))));
    counter('stowage_findings_raised_total', 'Times each watch finding was raised', ids.map((id) => ({ labels: { id }, value: this.raised.get(id) ?? 0 })));
    if (this.canaryImage !== undefined) {
      const labels = { image: this.canaryImage };
      out.push({ name: 'stowage_container_start_duration_seconds', help: 'Canary container create+start+wait+remove time through the Engine API', type: 'histogram',
        histograms: [{ labels, buckets: START_BUCKETS.map((le, i) => ({ le, count: this.startCounts[i]! })), count: this.starts, sum: this.startSum }] });
      counter('stowage_container_start_failures_total', 'Canary runs that failed', [{ labels, value: this.canaryFailures }]);
    }
    return out;
  }
}
