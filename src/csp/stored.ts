/**
 * The simplest CSP: a subtree of plain stored nodes. Every command is allowed by the CSP (the
 * tree still enforces ACLs, limits and permanence); values live in the tree and are persisted.
 * Useful for vendor extension branches, and as a base to spread into your own CSP:
 * `{ ...storedHandlers, root: './Vendor/acme', replace: (call, v) => check(v) ? 200 : 400 }`.
 */
import type { Csp, CspCall, ValueIn, ValueSink } from './Csp';
import { Status } from '../status';

/** Handlers that accept every get/add/replace/delete/rename (the tree stores the values). */
export const storedHandlers: Readonly<Required<Pick<Csp, 'get' | 'add' | 'replace' | 'delete' | 'rename'>>> = Object.freeze({
  get: (_call: CspCall, _out: ValueSink): number => Status.Ok,
  add: (_call: CspCall, _v: ValueIn): number => Status.Ok,
  replace: (_call: CspCall, _v: ValueIn): number => Status.Ok,
  delete: (_call: CspCall): number => Status.Ok,
  rename: (_call: CspCall, _name: string): number => Status.Ok,
});

/** A stored-node CSP at `root` (optionally with an ACL set on the root when first created). */
export function storedCsp(root: string, opts: { acl?: string } = {}): Csp {
  return {
    ...storedHandlers,
    root,
    init(store) {
      if (opts.acl !== undefined && store.info(root)?.acl === '') store.setAcl(root, opts.acl);
    },
  };
}
