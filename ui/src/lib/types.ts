// Shapes that cross the IPC boundary. They are generated from the Rust types into bindings.ts
// (never edit that file by hand); components import them from here so the generated file can
// move without touching every import. The same goes for the contract's values: the command and
// event names, the error codes and the sign-in timeout come from Rust too.
export type * from './bindings';
export { AUTHORIZE_TIMEOUT_SECONDS, COMMANDS, ERROR_CODES, EVENTS } from './bindings';
