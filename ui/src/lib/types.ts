// Shapes that cross the IPC boundary. They are generated from the Rust types into bindings.ts
// (never edit that file by hand); components import them from here so the generated file can
// move without touching every import.
export type * from './bindings';
