/** `stowage migrate` as text: what was exported, imported (per action) or found different, and what is not migrated. */
import type { MigrateCopyResult, MigrateExportResult, MigrateImportResult, MigrateResult, MigrateVerifyResult } from '../migrate/migrate-types.js';
import type { NotMigrated } from '../migrate/store-manifest.js';
import { count, formatBytes } from './format.js';
import type { Style } from './style.js';

function notMigratedLines(items: NotMigrated[]): string[] {
  if (!items.length) return [];
  return ['', 'not migrated:', ...items.map((n) => `  ${n.kind}${n.count !== undefined ? ` (${n.count})` : ''}: ${n.reason}${n.names?.length ? ` [${n.names.slice(0, 5).join(', ')}${n.names.length > 5 ? ', …' : ''}]` : ''}`)];
}

function exportText(r: MigrateExportResult, style: Style): string[] {
  const tagged = r.images.filter((i) => i.repoTags.length).length;
  return [
    style.bold(`migrate export: ${count(r.images.length, 'image')} (${r.images.length - tagged} untagged), ${count(r.volumes.length, 'volume')} into ${r.dir}`),
    `  ${count(r.blobs.count, 'blob')}, ${formatBytes(r.blobs.bytes)} in the store; this run wrote ${r.blobs.written} (${formatBytes(r.blobs.writtenBytes)})`,
    ...r.volumes.map((v) => `  volume ${v.name}: ${formatBytes(v.bytes)}, ${v.entries} entries, ${v.contentDigest}`),
    ...notMigratedLines(r.notMigrated),
  ];
}

function importText(r: MigrateImportResult | MigrateCopyResult, style: Style): string[] {
  const lines: string[] = [];
  const status = new Map(r.applied?.results.map((a) => [a.id, a]) ?? []);
  const t = r.applied?.totals;
  const what = r.action === 'copy' ? `migrate ${r.source.endpoint} -> ${r.target.endpoint} (layers via ${r.via === 'layer-store' ? 'the source\'s layer store' : 'docker save per image'})` : `migrate import into ${r.target.endpoint}`;
  lines.push(style.bold(t
    ? `${what}: ${t.done} done, ${t.skipped} already there, ${t.failed} failed${t.notRun ? `, ${t.notRun} not run` : ''}; ${formatBytes(r.sentBytes)} sent`
    : `${what}: plan (nothing changed yet): ${count(r.plan.actions.length, 'action')}`));
  for (const a of r.plan.actions) {
    const s = status.get(a.id);
    const target = a.target.startsWith('sha256:') ? a.target.slice(7, 19) : a.target;
    lines.push(`  ${(s?.status ?? 'planned').padEnd(8)} ${a.kind.padEnd(14)} ${target}  ${s?.reason ?? a.reason}`);
  }
  for (const f of r.plan.refusals) lines.push(`  refused  ${f.kind.padEnd(14)} ${f.target}  ${f.detail}`);
  if (r.action === 'copy') for (const c of r.committed ?? []) lines.push(`  committed container ${c.container} as ${c.tag} (${c.image.slice(7, 19)})`);
  return [...lines, ...notMigratedLines(r.notMigrated)];
}

function verifyText(r: MigrateVerifyResult, style: Style): string[] {
  const c = r.checked;
  const head = `${count(c.blobs, 'blob')} (${formatBytes(c.blobBytes)}), ${count(c.images, 'image')}, ${count(c.tags, 'tag')}, ${count(c.volumes, 'volume')} checked on ${r.target.endpoint}`;
  if (r.equal) return [style.bold(`migrate verify: equal: ${head}`)];
  return [
    style.bold(`migrate verify: ${count(r.differences.length, 'difference')}: ${head}`),
    ...r.differences.flatMap((d) => [`  ${d.code}: ${d.detail}`, ...(d.paths ?? []).slice(0, 5).map((p) => `    /${p.path}: store ${p.expected || '(absent)'}, target ${p.actual || '(absent)'}`)]),
  ];
}

export function renderMigrateText(result: MigrateResult, style: Style): string {
  const lines = result.action === 'export' ? exportText(result, style) : result.action === 'import' || result.action === 'copy' ? importText(result, style) : verifyText(result, style);
  return `${lines.join('\n')}\n`;
}
