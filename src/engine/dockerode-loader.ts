/**
 * Loads dockerode without the two parts of it that most commands never call: docker-modem's ssh transport
 * (ssh2; stowage reaches ssh engines through its own agent, ssh-transport.ts) and dockerode's BuildKit session
 * (@grpc/grpc-js and protobufjs, only for `docker build` with BuildKit). Each is required where dockerode
 * requires it, but as a function that loads the real module on its first call: they were two thirds of
 * dockerode's load time, which every engine command pays before its first request (bench/flatten.ts).
 */
import Module from 'node:module';
import type Docker from 'dockerode';

/** `request` as required from a file ending in `from`: loaded when first called. */
const DEFERRED: { from: string; request: string }[] = [
  { from: '/docker-modem/lib/modem.js', request: './ssh' },
  { from: '/dockerode/lib/docker.js', request: './session' },
];

type Require = (this: NodeJS.Module, id: string) => unknown;

export async function loadDockerode(): Promise<typeof Docker> {
  const proto = Module.prototype as unknown as { require: Require };
  const original = proto.require;
  proto.require = function deferring(this: NodeJS.Module, id: string): unknown {
    const filename = this.filename.replace(/\\/g, '/');
    if (!DEFERRED.some((d) => d.request === id && filename.endsWith(d.from))) return original.call(this, id);
    let real: ((...args: unknown[]) => unknown) | undefined;
    return (...args: unknown[]) => (real ??= original.call(this, id) as (...args: unknown[]) => unknown)(...args);
  };
  try {
    return (await import('dockerode')).default;
  } finally {
    proto.require = original;
  }
}
