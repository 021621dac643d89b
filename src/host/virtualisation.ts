/**
 * Whether this host is itself a virtual machine: the CPU's `hypervisor` flag (set by every hypervisor that
 * follows the CPUID convention) and the firmware's DMI names, which say which one. Slow I/O inside a VM may
 * come from the layers below it (an emulated disk, host caching, nested virtualisation), not from Docker.
 */
import type { HostFs } from './host-fs.js';

export interface Virtualisation {
  /** True when the CPU flags or the DMI names say so. */
  virtual: boolean;
  /** Which hypervisor, when the DMI names tell: `VirtualBox`, `KVM/QEMU`, `VMware`… */
  hypervisor: string | undefined;
  /** `hypervisor` flag in /proc/cpuinfo. */
  cpuFlag: boolean;
  /** /sys/class/dmi/id/product_name and sys_vendor, as the firmware reports them. */
  product: string | undefined;
  vendor: string | undefined;
}

/** Products and vendors that name a hypervisor, matched on DMI's own strings. */
const KNOWN: { test: RegExp; name: string }[] = [
  { test: /virtualbox|innotek/i, name: 'VirtualBox' },
  { test: /vmware/i, name: 'VMware' },
  { test: /^qemu|kvm|bochs/i, name: 'KVM/QEMU' },
  { test: /microsoft corporation.*virtual machine|^virtual machine$/i, name: 'Hyper-V' },
  { test: /^xen|hvm domu/i, name: 'Xen' },
  { test: /parallels/i, name: 'Parallels' },
  { test: /amazon ec2/i, name: 'Amazon EC2 (Nitro/KVM)' },
  { test: /google compute engine/i, name: 'Google Compute Engine (KVM)' },
  { test: /openstack/i, name: 'OpenStack (KVM)' },
];

const clean = (text: string | undefined) => text?.replace(/\0/g, '').trim() || undefined;

/** True when the first CPU's flags list `hypervisor`. */
export function parseCpuinfoHypervisor(cpuinfo: string): boolean {
  const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo);
  return Boolean(flags && flags[1]!.split(/\s+/).includes('hypervisor'));
}

export function identifyHypervisor(product: string | undefined, vendor: string | undefined): string | undefined {
  for (const candidate of [product, vendor, `${vendor ?? ''} ${product ?? ''}`.trim()]) {
    if (!candidate) continue;
    const hit = KNOWN.find((k) => k.test.test(candidate));
    if (hit) return hit.name;
  }
  return undefined;
}

export function readVirtualisation(fs: HostFs): Virtualisation {
  const cpuFlag = parseCpuinfoHypervisor(fs.readText('/proc/cpuinfo') ?? '');
  const product = clean(fs.readText('/sys/class/dmi/id/product_name'));
  const vendor = clean(fs.readText('/sys/class/dmi/id/sys_vendor'));
  const hypervisor = identifyHypervisor(product, vendor);
  return { virtual: cpuFlag || hypervisor !== undefined, hypervisor, cpuFlag, product, vendor };
}

/** One line for a finding's evidence: `virtual machine (VirtualBox; DMI product "VirtualBox", CPU flag hypervisor)`. */
export function describeVirtualisation(v: Virtualisation): string {
  const how = [
    v.product ? `DMI product "${v.product}"` : undefined,
    v.vendor && v.vendor !== v.product ? `vendor "${v.vendor}"` : undefined,
    v.cpuFlag ? 'CPU flag hypervisor' : undefined,
  ].filter(Boolean).join(', ');
  return `virtual machine${v.hypervisor ? ` (${v.hypervisor}` : ' ('}${v.hypervisor ? '; ' : ''}${how})`;
}
