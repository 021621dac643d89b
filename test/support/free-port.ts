/** A TCP port on 127.0.0.1 that nothing listens on right now, for servers tests start (the same pick as stowage's). */
export { freeLocalPort as freePort } from '../../src/host/free-port.js';
