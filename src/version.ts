/** stowage's own version, kept in step with package.json by a unit test. */
export const STOWAGE_VERSION = '0.1.0';
