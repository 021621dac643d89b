/** stowage's own version, kept in step with package.json by a unit test. */
export const STOWAGE_VERSION = '0.1.0';

/**
 * The version of every `--json` document and of the capability results inside them; bump when a field is
 * removed or changes meaning (adding fields keeps it).
 */
export const SCHEMA_VERSION = 1;
