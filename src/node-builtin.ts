// Node's built-in modules, fetched where a function needs them instead of imported at the top of a module.
// A module the browser entry reaches (the ONNX importer, the js and wgsl backends) must load in a browser
// bundle too; only its Node-only calls (reading a file by path, worker threads) then need Node, and they
// report it with their own catalogue error when `nodeBuiltin` is undefined.
const proc = (globalThis as { process?: NodeJS.Process }).process;

/** `process.getBuiltinModule` (Node >= 20.16), or undefined outside Node. */
export const nodeBuiltin: typeof process.getBuiltinModule | undefined = proc?.getBuiltinModule?.bind(proc);
