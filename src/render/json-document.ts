/** The `--json` document, for the renderers; it lives in src/json-document.ts, below the capabilities. */
export { SCHEMA_VERSION, jsonDocument, renderJson, type JsonDocument } from '../json-document.js';
