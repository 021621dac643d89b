/**
 * Reads an Azure VM's storage profile from the Instance Metadata Service (IMDS): the OS disk and each data
 * disk by LUN, with its size and `managedDisk.storageAccountType` (Premium_LRS, StandardSSD_LRS, ...), which
 * is the one place on the VM that names a managed disk's SKU: the disk itself says only "Msft Virtual Disk".
 * Endpoint and fields: https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service
 * (GET /metadata/instance/compute/storageProfile with the header `Metadata: true`, never through a proxy;
 * storageProfile since api-version 2019-06-01; values come as strings).
 */
import { request } from 'node:http';

export const AZURE_IMDS_URL = 'http://169.254.169.254';
const PATH = '/metadata/instance/compute/storageProfile?api-version=2021-02-01';

export interface AzureDiskProfile {
  /** Data disks only; the OS disk has none. */
  lun: number | undefined;
  name: string | undefined;
  sizeGiB: number | undefined;
  /** `managedDisk.storageAccountType`: Premium_LRS, Premium_ZRS, StandardSSD_LRS, Standard_LRS, UltraSSD_LRS, PremiumV2_LRS. */
  storageAccountType: string | undefined;
  /** An ephemeral OS disk (diffDiskSettings.option Local) lives on the VM's local storage. */
  ephemeral: boolean;
}

export interface AzureStorageProfile {
  osDisk: AzureDiskProfile | undefined;
  dataDisks: AzureDiskProfile[];
}

export type ImdsAnswer = { profile: AzureStorageProfile } | { error: string };

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {});

function disk(v: unknown): AzureDiskProfile {
  const d = obj(v);
  return {
    lun: num(d.lun),
    name: str(d.name),
    sizeGiB: num(d.diskSizeGB),
    storageAccountType: str(obj(d.managedDisk).storageAccountType),
    ephemeral: str(obj(d.diffDiskSettings).option)?.toLowerCase() === 'local',
  };
}

/** The storage profile from IMDS's JSON (the storageProfile object, or a whole compute document holding one). */
export function parseStorageProfile(json: unknown): AzureStorageProfile {
  const root = obj(json);
  const sp = 'storageProfile' in root ? obj(root.storageProfile) : root;
  const os = sp.osDisk === undefined ? undefined : disk(sp.osDisk);
  return { osDisk: os, dataDisks: Array.isArray(sp.dataDisks) ? sp.dataDisks.map(disk) : [] };
}

/**
 * One GET of the storage profile, given up after `timeoutMs` (default 1.5 s; IMDS answers in milliseconds
 * on Azure, and off Azure nothing answers). Never throws: a failure comes back as the reason, in words.
 */
export function readAzureStorageProfile(options: { baseUrl?: string; timeoutMs?: number } = {}): Promise<ImdsAnswer> {
  const url = new URL(PATH, options.baseUrl ?? AZURE_IMDS_URL);
  const timeoutMs = options.timeoutMs ?? 1500;
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: ImdsAnswer) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve(a);
      }
    };
    // node:http never goes through a proxy, as IMDS requires
    const req = request(url, { method: 'GET', headers: { Metadata: 'true' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => finish({ error: `the metadata service's answer broke off: ${err.message}` }));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return finish({ error: `the metadata service at ${url.host} answered HTTP ${res.statusCode}` });
        try {
          finish({ profile: parseStorageProfile(JSON.parse(body)) });
        } catch {
          finish({ error: `the metadata service at ${url.host} answered with something that is not JSON` });
        }
      });
    });
    const timer = setTimeout(() => {
      finish({ error: `no answer from the metadata service at ${url.host} within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => finish({ error: `cannot reach the metadata service at ${url.host}: ${err.message}` }));
    req.end();
  });
}
