/**
 * The product's durable directory storage (target/node/platform.ts: positional writes, fdatasync on
 * sync(), directory fsync after create/remove/rename), so the SIGKILL sweeps exercise exactly what
 * ships on Node.
 */
export { DirStorage as NodeStorage } from '../../../target/node/platform';
