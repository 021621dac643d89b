/**
 * How deep an image may be, shared by doctor, analyze and lint so they judge depth alike. overlay2 mounts at
 * most 128 lower directories; moby's layer store refuses a chain deeper than 125 (layer/layer_store.go,
 * maxLayerDepth), so that is the real ceiling for an image.
 */
export const OVERLAY2_MAX_LOWERS = 128;
export const LAYER_STORE_MAX_DEPTH = 125;
/** Warn well before the ceiling, and call it an error when a few more layers would break the build. */
export const LAYER_DEPTH_WARN = 100;
export const LAYER_DEPTH_ERROR = 120;
